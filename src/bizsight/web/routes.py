"""The HTML pages. Each handler finds the caller from the session cookie (or sends them to the
login page), checks the page's permission as the API does, and renders a template; the charts
then call the JSON API, where row-level security applies. No business logic here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from bizsight.errors import NotFoundError
from bizsight.services.access import Permission, Principal, allowed
from bizsight.services.page_data import data_bounds
from bizsight.services.presentation import presentation
from bizsight.services.users import session_principal
from bizsight.serving.deps import SESSION_COOKIE, StateDep, WarehouseDep
from bizsight.warehouse.connection import Warehouse

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Page:
    name: str
    title: str
    permission: Permission
    filters: bool = True  # shows the global filter bar
    nav: bool = True


PAGES = {
    p.name: p
    for p in (
        # in the nav's order: the summaries, the commercial views, planning, then sharing and admin
        Page("overview", "Overview", Permission.QUERY),
        Page("executive", "Executive", Permission.QUERY, filters=False),
        Page("sales", "Sales", Permission.QUERY),
        Page("customers", "Customers", Permission.CUSTOMERS),
        Page("products", "Products", Permission.QUERY),
        Page("reviews", "Reviews", Permission.QUERY),
        Page("marketing", "Marketing", Permission.MARKETING),
        Page("pipeline", "Pipeline", Permission.PIPELINE, filters=False),
        Page("market", "Market", Permission.QUERY, filters=False),
        Page("forecasts", "Forecasts", Permission.QUERY, filters=False),
        Page("monitor", "KPI monitor", Permission.QUERY, filters=False),
        Page("dashboards", "Dashboards", Permission.DASHBOARDS_READ, filters=False),
        Page("reports", "Reports", Permission.REPORTS_READ, filters=False),
        Page("data", "Data", Permission.DATA_STATUS, filters=False),
        Page("jobs", "Jobs", Permission.JOBS, filters=False),
        # users, tokens and the audit log for admins; schedules for editors too
        Page("settings", "Settings", Permission.SCHEDULES, filters=False),
        Page("customer", "Customer", Permission.CUSTOMERS, filters=False, nav=False),
        Page("dashboard", "Dashboard", Permission.DASHBOARDS_READ, nav=False),
    )
}


def _static_files() -> dict[str, Path]:
    files = {p.name: p for p in (HERE / "static").iterdir() if p.suffix in {".js", ".css", ".svg"}}
    spec = find_spec("plotly")
    if spec is not None and spec.submodule_search_locations:
        files["plotly.min.js"] = (
            Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
        )
    return files


STATIC = _static_files()  # a fixed set of names: nothing from the request reaches the file system
MEDIA = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Visitor:
    principal: Principal | None
    csrf: str | None


def visitor(request: Request, state: StateDep) -> Visitor:
    cookie = request.cookies.get(SESSION_COOKIE)
    found = session_principal(state.store, cookie) if cookie else None
    return Visitor(*found) if found else Visitor(None, None)


VisitorDep = Annotated[Visitor, Depends(visitor)]


@router.get("/static/{name}")
def static(name: str) -> Response:
    path = STATIC.get(name)
    if path is None:
        raise NotFoundError(f"no static file '{name}'")
    return FileResponse(path, media_type=MEDIA[path.suffix], headers={"Cache-Control": "max-age=3600"})


def same_origin_path(target: str) -> str:
    r"""``target`` when it is a path on this site, else ``/``: the only places a login sends
    anyone back to. Browsers read a backslash as ``/`` and a leading ``//`` as another host, and a
    path may hide either behind percent-encoding, so those are refused in the decoded text too.

    >>> [same_origin_path(t) for t in ("/customers?segment=At%20Risk", "//evil.example", "/%5Cevil.example")]
    ['/customers?segment=At%20Risk', '/', '/']
    >>> [same_origin_path(t) for t in ("https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/%2F/evil")]
    ['/', '/', '/', '/']
    """
    decoded = unquote(unquote(target))  # twice: %255C is %5C decoded once, a backslash twice
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or parts.scheme
        or parts.netloc
        or decoded.startswith("//")
        or "\\" in decoded
        or any(ord(c) < 32 or ord(c) == 127 for c in decoded)
    ):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, who: VisitorDep, next: str = "/") -> Response:
    target = same_origin_path(next)
    if who.principal is not None:
        return RedirectResponse(target, status_code=303)
    return templates.TemplateResponse(request, "login.html", {"next": target})


@router.get("/")
def home() -> Response:
    return RedirectResponse("/overview", status_code=303)


def _render(request: Request, who: Visitor, wh: Warehouse, name: str, **params: Any) -> Response:
    page = PAGES[name]
    if who.principal is None:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    user = who.principal
    nav = [p for p in PAGES.values() if p.nav and allowed(user, p.permission)]
    if not allowed(user, page.permission):
        context = {
            "nav": nav,
            "user": user,
            "page": page,
            "message": f"Your account may not open {page.title}.",
        }
        return templates.TemplateResponse(request, "denied.html", context, status_code=403)
    bounds = data_bounds(wh)
    context = {
        "user": user,
        "page": page,
        "nav": nav,
        "boot": _script_json(
            {
                "page": page.name,
                "csrf": who.csrf,
                "user": {"username": user.username, "role": user.role, "restricted": user.restricted},
                "permissions": [p.value for p in Permission if allowed(user, p)],
                "bounds": {k: v.isoformat() if v else None for k, v in bounds.items()},
                "limits": {"max_upload_mb": request.app.state.bizsight.project.settings.server.max_upload_mb},
                "presentation": presentation(request.app.state.bizsight.project, wh).boot,
                "params": params,
            }
        ),
    }
    return templates.TemplateResponse(request, "page.html", context)


def _script_json(value: dict[str, Any]) -> str:
    """JSON safe inside a <script> element: no "</script>" can close it early."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(name: str) -> Any:
    def handler(request: Request, who: VisitorDep, wh: WarehouseDep) -> Response:
        return _render(request, who, wh, name)

    handler.__name__ = f"{name}_page"
    return handler


for _name in (
    "overview", "sales", "marketing", "pipeline", "customers", "reviews", "products", "market", "executive",
    "forecasts", "monitor", "data", "jobs", "dashboards", "reports", "settings",
):  # fmt: skip
    router.add_api_route(f"/{_name}", _page(_name), methods=["GET"], response_class=HTMLResponse)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(customer_id: str, request: Request, who: VisitorDep, wh: WarehouseDep) -> Response:
    return _render(request, who, wh, "customer", customer_id=customer_id[:200])


@router.get("/dashboards/{dashboard_id}", response_class=HTMLResponse)
def dashboard_page(dashboard_id: str, request: Request, who: VisitorDep, wh: WarehouseDep) -> Response:
    """A saved dashboard (``new`` opens an empty builder)."""
    return _render(request, who, wh, "dashboard", dashboard_id=dashboard_id[:20])
