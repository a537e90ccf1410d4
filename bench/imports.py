"""Spreadsheet import speed: 1,000 rows previewed and imported, each in under 5 s.

    .venv/bin/python -m bench.imports                 # 1,000 rows, SQLite
    .venv/bin/python -m bench.imports --rows 5000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Builds the demo compound (21 buildings) in a fresh database, signs in as the secretary
and drives the real pages in-process (Flask's test client: multipart upload, CSRF
token, the preview page rendered with every row, the confirm). For each kind (the
elderly register, staff accounts) it times upload + preview, confirm, and the same
file again (nothing to write), with the SQL statements each step ran: they stay flat
because existing records are loaded once per file, not per row. Bounded and self-stopping.
"""

import argparse
import io
import os
import re
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.run import prepare_database

LIMIT_SECONDS = 5.0
PASSWORD = "bench-password-2026"


def workbook(rows: list[list]) -> bytes:
    from scheduler.spreadsheets import Sheet, workbook_bytes

    return workbook_bytes([Sheet("import", rows[0], rows[1:])])


def register_rows(count: int) -> list[list]:
    rows = [
        [
            "姓名",
            "楼栋",
            "单元",
            "门牌号",
            "电话",
            "出生年份",
            "独居",
            "每隔几天探访一次",
            "紧急联系人",
            "紧急联系人电话",
        ]
    ]
    for number in range(1, count + 1):
        rows.append(
            [
                f"导入老人{number:04d}",
                f"{number % 21 + 1}号楼",
                f"{number % 4 + 1}单元",
                str(100 + number),
                f"1760{number:07d}",
                1930 + number % 30,
                "是" if number % 5 == 0 else "否",
                7 if number % 3 == 0 else 14,
                f"家属{number:04d}",
                f"1761{number:07d}",
            ]
        )
    return rows


def account_rows(count: int) -> list[list]:
    rows = [["用户名", "姓名", "手机号", "角色", "身份", "所在楼栋"]]
    kinds = ["党员", "楼栋长", "物业人员", "居民志愿者"]
    for number in range(1, count + 1):
        rows.append(
            [
                f"import{number:04d}",
                f"导入志愿者{number:04d}",
                f"1762{number:07d}",
                "志愿者",
                kinds[number % 4],
                f"{number % 21 + 1}",
            ]
        )
    return rows


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def timed(engine, action):
    counter = Counter()
    sa.event.listen(engine, "before_cursor_execute", counter)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        result = action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)
    return (time.perf_counter() - started, time.process_time() - cpu_started), counter.count, result


def run_kind(client, engine, url: str, content: bytes, filename: str) -> list[tuple[str, float, int]]:
    results = []

    def preview():
        page = client.get(url).get_data(as_text=True)
        response = client.post(url, data={"csrf_token": token(page), "file": (io.BytesIO(content), filename)})
        assert response.status_code == 302, re.findall(
            r"class=\"(?:error|form-errors)\"[^>]*>(.*?)<", response.get_data(as_text=True)
        )
        preview_url = response.headers["Location"]
        page = client.get(preview_url)
        assert page.status_code == 200
        return preview_url, page.get_data(as_text=True)

    def confirm(preview_url, html):
        fingerprint = re.search(r'name="fingerprint" type="hidden" value="([0-9a-f]+)"', html).group(1)
        response = client.post(preview_url, data={"csrf_token": token(html), "fingerprint": fingerprint})
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:2000]

    for label in ("first file", "same file again"):
        seconds, queries, (preview_url, html) = timed(engine, preview)
        results.append((f"{label}: upload + preview", seconds, queries))
        if "fingerprint" in html and "确认并保存" in html:
            seconds, queries, _ = timed(engine, lambda url=preview_url, page=html: confirm(url, page))
            results.append((f"{label}: confirm", seconds, queries))
        else:
            results.append((f"{label}: nothing to confirm", (0.0, 0.0), 0))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        prepare_database(url, 1, PASSWORD)
        from scheduler import create_app
        from scheduler.config import DevelopmentConfig, normalise_database_url
        from scheduler.extensions import db

        settings = {
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
            "IMPORT_DIR": str(Path(folder) / "imports"),
        }
        app = create_app(type("BenchConfig", (DevelopmentConfig,), settings))
        with app.app_context():
            engine = db.engine

        client = app.test_client()
        login = client.get("/auth/login").get_data(as_text=True)
        client.post(
            "/auth/login", data={"username": "secretary", "password": PASSWORD, "csrf_token": token(login)}
        )

        kinds = [("register", "/beneficiaries/import", register_rows(arguments.rows))]
        if "people.import_upload" in app.view_functions:
            kinds.append(("accounts", "/people/import", account_rows(arguments.rows)))
        failed = False
        load = os.getloadavg()[0]
        print(
            f"{arguments.rows} rows, {url.split(':')[0]}, limit {LIMIT_SECONDS:.0f} s per step;"
            f" load average {load:.1f}"
        )
        print(
            "  (wall time, and this process's CPU time:"
            " on a busy machine the first grows, the second does not)"
        )
        for name, address, rows in kinds:
            for file_kind, content in (("xlsx", workbook(rows)), ("csv-gbk", csv_gbk(rows))):
                if file_kind == "csv-gbk" and name == "accounts":
                    continue
                with app.app_context():
                    reset(name)
                for step, seconds, queries in run_kind(
                    client, engine, address, content, f"{name}.{file_kind.split('-')[0]}"
                ):
                    wall, cpu = seconds
                    over = wall > LIMIT_SECONDS
                    failed |= over
                    flag = "  OVER THE LIMIT" if over else ""
                    print(
                        f"  {name:<9} {file_kind:<8} {step:<34} {wall:6.2f} s ({cpu:5.2f} s CPU)"
                        f"  {queries:4d} SQL{flag}"
                    )
        raise SystemExit(1 if failed else 0)


def csv_gbk(rows: list[list]) -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("gbk")


def reset(kind: str) -> None:
    """Forget what an earlier run of this kind imported, so each file starts as new."""
    from scheduler.extensions import db
    from scheduler.models import Beneficiary, User

    if kind == "register":
        db.session.execute(sa.delete(Beneficiary).where(Beneficiary.name.like("导入老人%")))
    else:
        db.session.execute(sa.delete(User).where(User.username.like("import%")))
    db.session.commit()


if __name__ == "__main__":
    main()
