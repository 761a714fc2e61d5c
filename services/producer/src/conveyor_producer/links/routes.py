"""GET /links/{token}: where an e-mail's link leads. Outside the API's bearer token: a
mail reader has none, and the token in the path is the link's own secret."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from conveyor_common.links import LINKS_PATH, REDIRECT_URL_SECONDS, TOKEN_PATTERN
from conveyor_producer.http.problems import documented_problems
from conveyor_producer.links.service import LinkService

NOT_KEPT_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# Documented only: text of another shape is no link (404), as an unknown token is.
Token = Annotated[str, PathParameter(schema_extra={"pattern": TOKEN_PATTERN})]


class LinksController(Controller):
    path = LINKS_PATH
    tags = ["links"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get(
        "/{token:str}",
        sync_to_thread=True,
        status_code=HTTP_303_SEE_OTHER,
        summary="Follow a link from an e-mail",
        description=(
            "The link an export's or an import's e-mail carries (7 days). It redirects "
            f"(303) to the file, by a URL valid for {REDIRECT_URL_SECONDS} s. An unknown "
            "link is 404; one past its time is 410."
        ),
        responses=documented_problems(400, 404, 410, 503),
    )
    def follow(self, token: Token, links: NamedDependency[LinkService]) -> Redirect:
        # The answer is the signed URL: no cache keeps it, no page it leads to learns
        # the link it came from.
        return Redirect(
            links.follow(token), status_code=HTTP_303_SEE_OTHER, headers=NOT_KEPT_HEADERS
        )
