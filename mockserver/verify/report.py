"""The report's three forms: a table for people, JSON for scripts, JUnit XML for CI systems."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from mockserver.verify.expectations import DIALECTS
from mockserver.verify.results import Report

__all__ = ["render_table", "write_json", "write_junit"]

_WIDTHS = (44, 34, 38)


def _cell(text: str, width: int) -> str:
    text = " ".join(text.split())  # one line per row, whatever the gateway sent
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(report: Report) -> str:
    """The report as a fixed-width table, drift first, then its details and the summary line."""
    lines = [
        f"vidu-mock verify {report.base_url}",
        f"dialect: {report.dialect} ({report.dialect_evidence})",
        *(f"note: {note}" for note in (DIALECTS[report.dialect].notes if report.dialect in DIALECTS else ())),
        "",
        f"{'check':<{_WIDTHS[0]}}  {'expected':<{_WIDTHS[1]}}  {'observed':<{_WIDTHS[2]}}  verdict",
    ]
    lines.append("-" * (sum(_WIDTHS) + 6 + len("verdict")))
    for r in report.ordered():
        row = (_cell(r.check, _WIDTHS[0]), _cell(r.expected, _WIDTHS[1]), _cell(r.observed, _WIDTHS[2]))
        lines.append(f"{row[0]:<{_WIDTHS[0]}}  {row[1]:<{_WIDTHS[1]}}  {row[2]:<{_WIDTHS[2]}}  {r.verdict}")
    drifted = [r for r in report.ordered() if r.details and r.verdict != "pass"]
    if drifted:
        lines.append("")
        for r in drifted:
            lines.append(f"{r.verdict} {r.check}:")
            lines.extend(f"  - {_cell(d, 200)}" for d in r.details[:8])
    lines += ["", report.summary()]
    return "\n".join(lines)


def write_json(report: Report, path: Path) -> None:
    """Write the report as JSON to `path`."""
    path.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_junit(report: Report, path: Path) -> None:
    """Write the report as JUnit XML to `path`: one test case per check; drift is a failure."""
    suite = ET.Element(
        "testsuite",
        name="vidu-mock verify",
        tests=str(len(report.results)),
        failures=str(report.count("DRIFT")),
        errors=str(report.count("incomplete")),
        skipped=str(report.count("skipped")),
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("base_url", report.base_url), ("dialect", report.dialect)):
        ET.SubElement(props, "property", name=name, value=value)
    for r in report.ordered():
        case = ET.SubElement(suite, "testcase", classname=f"verify.{r.group}", name=r.check)
        text = "\n".join([f"expected: {r.expected}", f"observed: {r.observed}", *r.details])
        if r.verdict == "DRIFT":
            ET.SubElement(case, "failure", message=f"drift: {r.observed}"[:500]).text = text
        elif r.verdict == "incomplete":
            ET.SubElement(case, "error", message=r.observed[:500]).text = text
        elif r.verdict == "skipped":
            ET.SubElement(case, "skipped", message=r.observed[:500])
    if report.fatal:
        ET.SubElement(suite, "system-err").text = report.fatal
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
