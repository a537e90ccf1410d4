from tests.factories_visits import make_beneficiary, make_task, station_admin  # noqa: F401
