"""Demo data for the community of the article: 海源丽都 in 丽都社区, 凤林街道.

Each area adds its seeder to ``SEEDERS``; every seeder is idempotent, looking its
records up by natural keys before creating them, so ``seed-demo`` can run again.
"""

from scheduler.demo import availability, board, community, menu, requests, shifts, timebank, visits
from scheduler.demo.community import DEMO_STATION_SLUG

__all__ = ["DEFAULT_DEMO_PASSWORD", "DEMO_LOGINS", "DEMO_STATION_SLUG", "seed_demo"]

DEFAULT_DEMO_PASSWORD = "lidu-demo-2026"

DEMO_LOGINS = [
    ("street", "街道管理员 superadmin"),
    ("secretary", "支部书记 admin"),
    ("coordinator", "网格员 coordinator"),
    ("building05", "5号楼楼栋长 volunteer"),
    ("volunteer01", "居民志愿者 volunteer"),
    ("property01", "物业人员 volunteer"),
]

SEEDERS = [
    community.seed,
    menu.seed,
    requests.seed,
    shifts.seed,
    availability.seed,
    visits.seed,
    timebank.seed,
    board.seed,
]


def seed_demo(password: str = DEFAULT_DEMO_PASSWORD) -> None:
    """Run every area's seeder in order; each commits its own records."""
    for seeder in SEEDERS:
        seeder(password)
