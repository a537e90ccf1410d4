"""Lists cut into pages, whatever ``?page=`` says."""

from flask_sqlalchemy.pagination import Pagination

from scheduler.extensions import db
from scheduler.inputs import page_number


def paginate(select, per_page: int) -> Pagination:
    """The page ``?page=`` asks for: before the first is the first, past the last is the last.

    A list shrinks as its items are dealt with, so an old link to page 7 shows the last
    page rather than nothing. The count and the rows are two queries whatever the page.
    """
    page = db.paginate(select, page=page_number(per_page), per_page=per_page, error_out=False)
    if page.page > max(page.pages, 1):
        page = db.paginate(select, page=max(page.pages, 1), per_page=per_page, error_out=False)
    return page
