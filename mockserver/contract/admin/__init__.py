"""The admin API under `/__mock/`: its routes, bodies, the control API and the request guard."""
