"""Residents' requests in every state, some filed by a building head, some rated.

Times are relative to now, so the inbox always looks like this week's.
"""

from datetime import timedelta
from typing import NamedTuple

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.demo.community import DEMO_STATION_SLUG
from scheduler.demo.names import demo_name, demo_phone
from scheduler.extensions import db
from scheduler.models import Building, RequestState, Service, ServiceRequest, Station, User


class DemoRequest(NamedTuple):
    reference: str  # the natural key that keeps seeding idempotent
    service: str
    building: int
    unit_room: str
    state: RequestState
    hours_ago: int
    preferred_time: str = ""
    details: str = ""
    filed_by: str | None = None  # a building head's username: filed for a resident without a phone
    rating: int | None = None
    comment: str = ""
    decline_reason: str = ""


NEW, ACCEPTED, SCHEDULED, DONE, DECLINED = (
    RequestState.NEW,
    RequestState.ACCEPTED,
    RequestState.SCHEDULED,
    RequestState.DONE,
    RequestState.DECLINED,
)

DEMO_REQUESTS = [
    DemoRequest("DEMA3C", "送药上门", 5, "2单元301", NEW, 2, "明天上午", "降压药快吃完了，医保卡在家里。"),
    DemoRequest("DEMC4D", "水电小修", 12, "1单元502", NEW, 5, "周末都可以", "厨房水龙头一直滴水。"),
    DemoRequest("DEMD6E", "上门探访", 5, "3单元101", NEW, 26, details="独居，腿脚不便。",
                filed_by="building05"),
    DemoRequest("DEME7F", "陪同就医", 8, "1单元203", ACCEPTED, 30, "下周一上午", "去医院复查眼睛。"),
    DemoRequest("DEMF9G", "楼道消杀", 17, "3单元", ACCEPTED, 50, details="3单元楼道有异味。"),
    DemoRequest("DEMG3H", "送药上门", 3, "2单元402", SCHEDULED, 40, "下午"),
    DemoRequest("DEMH4J", "上门探访", 21, "1单元602", SCHEDULED, 70, details="老人八十五岁，子女在外地。",
                filed_by="building21"),
    DemoRequest("DEMJ6K", "水电小修", 9, "2单元102", DONE, 120, details="卫生间灯不亮。", rating=5,
                comment="师傅很快就修好了，谢谢！"),
    DemoRequest("DEMK7M", "送药上门", 14, "1单元301", DONE, 200, "上午", rating=4,
                comment="药送到了，就是晚了一点。"),
    DemoRequest("DEMM9N", "假期科普课堂", 2, "3单元201", DONE, 300, details="孩子八岁，想报名。"),
    DemoRequest("DEMN3P", "陪同就医", 11, "2单元501", DONE, 400, filed_by="building11", rating=5),
    # Made a task and done by the seeder of home visits: waiting for the resident's rating.
    DemoRequest("DEMR3S", "水电小修", 7, "1单元302", NEW, 30, "越快越好", "阳台的灯不亮了，开关也松了。"),
    DemoRequest("DEMP4Q", "楼道消杀", 6, "1单元402", DECLINED, 90, details="想请人到家里消毒。",
                decline_reason="楼道消杀只做公共区域，家中消毒请联系物业有偿服务。"),
    DemoRequest("DEMQ6R", "上门探访", 19, "1单元101", DECLINED, 150,
                decline_reason="社区医生每周已上门随访，志愿者暂不重复安排。"),
]  # fmt: skip


def seed(password: str) -> None:
    station = db.session.scalar(sa.select(Station).where(Station.slug == DEMO_STATION_SLUG))
    existing = set(db.session.scalars(sa.select(ServiceRequest.reference)))
    services = {
        service.title: service
        for service in db.session.scalars(sa.select(Service).where(Service.station_id == station.id))
    }
    buildings = {
        building.sort_order: building
        for building in db.session.scalars(sa.select(Building).where(Building.station_id == station.id))
    }
    users = {user.username: user for user in db.session.scalars(sa.select(User))}
    coordinator = users["coordinator"]
    now = utcnow()
    for index, item in enumerate(DEMO_REQUESTS):
        if item.reference in existing:
            continue
        created = now - timedelta(hours=item.hours_ago)
        handled = created + timedelta(hours=1)
        filed_by = users.get(item.filed_by) if item.filed_by else None
        db.session.add(
            ServiceRequest(
                station_id=station.id,
                service_id=services[item.service].id,
                reference=item.reference,
                resident_name=demo_name(300 + index),
                building_id=buildings[item.building].id,
                unit_room=item.unit_room,
                phone="" if filed_by else demo_phone(500 + index),
                preferred_time=item.preferred_time,
                details=item.details,
                filed_by_id=filed_by.id if filed_by else None,
                state=item.state,
                created_at=created,
                accepted_at=handled if item.state in (ACCEPTED, SCHEDULED, DONE) else None,
                scheduled_for=now + timedelta(days=1, hours=index) if item.state == SCHEDULED else None,
                done_at=created + timedelta(hours=20) if item.state == DONE else None,
                declined_at=handled if item.state == DECLINED else None,
                decline_reason=item.decline_reason,
                handled_by_id=coordinator.id if item.state != NEW else None,
                rating=item.rating,
                rating_comment=item.comment,
                rated_at=created + timedelta(hours=30) if item.rating else None,
            )
        )
    db.session.commit()
