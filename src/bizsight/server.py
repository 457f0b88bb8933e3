"""The app: the REST API (:mod:`bizsight.api`) and the pages (:mod:`bizsight.web`) mounted on one
FastAPI application for one project, by :func:`create_app`.

The process that serves it owns the project's warehouse (one read-write connection; each request
reads through a cursor of its own), its metadata store, the job runner and the scheduler.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute

from bizsight.api import API_PREFIX, document_permissions
from bizsight.api.routes import API_ROUTERS, ROOT_ROUTERS
from bizsight.app.store import MetadataStore
from bizsight.services import deliveries, report_delivery
from bizsight.services.job_runner import JobRunner
from bizsight.services.page_warmup import warming
from bizsight.services.project import Project, owning
from bizsight.services.scheduler import Scheduler
from bizsight.services.users import ensure_admin, open_store
from bizsight.serving import errors
from bizsight.serving.headers import add_security_headers
from bizsight.serving.state import AppState, CommandRunner
from bizsight.warehouse.connection import Warehouse
from bizsight.web.routes import router as web_router


def create_app(
    project: Project,
    *,
    store: MetadataStore | None = None,
    warehouse: Warehouse | None = None,
    commands: CommandRunner | None = None,
    local_token: str | None = None,
    warm_pages: bool = False,
) -> FastAPI:
    """The app for ``project``. A store or warehouse not given is opened when the app starts
    (and closed when it stops); the first admin is created then if there are no users. With
    ``commands`` and ``local_token``, the CLI on this machine can send it commands. With
    ``warm_pages`` (`bizsight serve`), the Overview and Executive pages are computed into the
    result cache in the background as it starts (a refresh by the CLI alone warmed nothing here)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            owned_store = store or open_store(project)
            if store is None:
                stack.callback(owned_store.close)
            ensure_admin(owned_store, project.settings.server)
            owned_wh = warehouse or stack.enter_context(project.warehouse())
            # From here on, this process owns the warehouse: services asking for it get cursors
            # of this connection, and writing work runs as jobs, one at a time.
            stack.enter_context(owning(project, owned_wh))
            if warm_pages:
                stack.enter_context(warming(project))
            runner = stack.enter_context(JobRunner(project, owned_store).running())
            if deliveries.pending(owned_store):  # left by a server that stopped mid-delivery
                runner.submit("deliver", {}, requested_by=None, origin="restart")
            # Report jobs stopped before their run was recorded kept nothing: run them again.
            report_delivery.requeue_interrupted(owned_store, runner)
            # Schedules become jobs on that runner; stopped before it (the stack unwinds in reverse).
            scheduler = stack.enter_context(Scheduler(project, owned_store, runner).running())
            app.state.bizsight = AppState.build(
                project, owned_store, owned_wh, runner, commands=commands, local_token=local_token
            )
            app.state.bizsight.scheduler = scheduler
            yield

    app = FastAPI(
        title="bizsight",
        summary="Business intelligence for companies that sell things: metrics, customers, data quality.",
        version="1",
        lifespan=lifespan,
        docs_url=f"{API_PREFIX}/docs",
        openapi_url=f"{API_PREFIX}/openapi.json",
        redoc_url=None,
    )
    document_permissions()
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in ROOT_ROUTERS:
        app.include_router(router)
    app.include_router(web_router)  # the HTML pages (bizsight.web)
    errors.install(app)
    app.middleware("http")(_observe)
    app.middleware("http")(add_security_headers)
    app.middleware("http")(errors.tag_request)  # added last: runs first, so every answer has an id
    return app


async def _observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    name = route.path if isinstance(route, APIRoute) else "unmatched"
    state = getattr(request.app.state, "bizsight", None)
    if state is not None:
        state.telemetry.observe(request.method, name, response.status_code, time.perf_counter() - started)
    return response
