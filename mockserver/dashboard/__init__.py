"""The live dashboard at `GET /__mock/`: one page over the admin API (see docs/dashboard.md).

The page is rendered here from the same JSON the admin endpoints serve, so it reads
without JavaScript; `assets/dashboard.js` then polls those endpoints and adds the controls.
Nothing here imports Flask: the admin router calls `dashboard_reply` for the page's paths.
"""

from mockserver.dashboard.page import JOURNAL_ROWS, dashboard_reply, render_page, snapshot

__all__ = ["JOURNAL_ROWS", "dashboard_reply", "render_page", "snapshot"]
