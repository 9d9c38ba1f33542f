"""Replaying recordings (pure): the recording format and the matching of requests to exchanges."""
