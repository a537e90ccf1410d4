"""The station's service menu, after the article: care for the elderly, everyday help,
health, culture for retirees and holiday classes for children."""

from typing import NamedTuple

import sqlalchemy as sa

from scheduler.database import utcnow
from scheduler.demo.community import DEMO_STATION_SLUG
from scheduler.extensions import db
from scheduler.models import Service, ServiceCategory, Station, User


class DemoService(NamedTuple):
    category: str
    title: str
    summary: str
    when: str
    where: str
    contact: str | None = None  # a demo username
    phone_public: bool = False  # the contact agreed to show their phone
    requestable: bool = False
    published: bool = True


DEMO_MENU = [
    DemoService(
        "关爱老人", "上门探访", "志愿者上门看望独居、高龄老人，聊聊天，看看家里有没有安全隐患。",
        "每周二、周四下午", "老人家中", "building05", phone_public=True, requestable=True,
    ),
    DemoService(
        "关爱老人", "送药上门", "行动不便的老人，可请志愿者到社区卫生服务站代取常用药，送到家中。",
        "工作日 9:00–17:00", "社区卫生服务站 → 老人家中", "party01", requestable=True,
    ),
    DemoService(
        "关爱老人", "陪同就医", "子女不在身边的老人看病，可请志愿者陪同挂号、取药。",
        "提前两天预约", "凤林街道社区医院", "party02", phone_public=True, requestable=True,
    ),
    DemoService(
        "便民服务", "水电小修", "换灯泡、修水龙头、通下水道等小维修，物业师傅上门。",
        "工作日 8:30–17:30", "住户家中", "property01", phone_public=True, requestable=True,
    ),
    DemoService(
        "便民服务", "小家电维修", "电饭煲、电风扇、收音机等小家电，志愿者免费检修。",
        "每月第一个周六上午", "驿站门前广场", "volunteer03",
    ),
    DemoService(
        "便民服务", "爱心义剪", "理发师志愿者为老人和残疾人免费理发。", "每月 15 日上午", "驿站一楼活动室",
    ),
    DemoService(
        "便民服务", "法律咨询", "律师志愿者解答遗嘱、赡养、物业纠纷等问题。", "筹备中", "驿站二楼",
        published=False,
    ),
    DemoService(
        "健康卫生", "楼道消杀", "志愿者和物业人员对楼道、电梯、垃圾点进行消毒。",
        "每周一、周五上午", "各楼栋公共区域", "property02", requestable=True,
    ),
    DemoService(
        "健康卫生", "血压血糖测量", "社区医生和志愿者免费测量血压、血糖，建立健康记录。",
        "每周三上午 9:00–11:00", "驿站一楼",
    ),
    DemoService(
        "文化活动", "剪纸兴趣班", "老党员手把手教剪纸，作品在驿站展出。", "每周一下午 2:30", "驿站二楼活动室",
        "volunteer01",
    ),
    DemoService(
        "文化活动", "编织小组", "一起织毛衣、围巾，冬天送给独居老人。", "每周四上午", "驿站二楼活动室",
        "volunteer02",
    ),
    DemoService(
        "青少年", "假期科普课堂", "寒暑假为孩子们开设科学小实验课，家长可报名。",
        "寒暑假每周二、周四上午", "驿站二楼", "party03", requestable=True,
    ),
    DemoService(
        "青少年", "环保手工课", "用废旧材料做手工，学习垃圾分类。", "寒暑假每周六上午", "驿站门前广场",
    ),
]  # fmt: skip


def seed(password: str) -> None:
    station = db.session.scalar(sa.select(Station).where(Station.slug == DEMO_STATION_SLUG))
    users = {user.username: user for user in db.session.scalars(sa.select(User))}
    recorder = users["secretary"]
    categories = {
        category.name: category
        for category in db.session.scalars(
            sa.select(ServiceCategory).where(ServiceCategory.station_id == station.id)
        )
    }
    existing_titles = set(
        db.session.scalars(sa.select(Service.title).where(Service.station_id == station.id))
    )
    for position, item in enumerate(DEMO_MENU, start=1):
        category = categories.get(item.category)
        if category is None:
            category = ServiceCategory(
                station_id=station.id, name=item.category, sort_order=len(categories) + 1
            )
            db.session.add(category)
            db.session.flush()
            categories[item.category] = category
        if item.title in existing_titles:
            continue
        person = users.get(item.contact) if item.contact else None
        consent = person is not None and item.phone_public
        db.session.add(
            Service(
                station_id=station.id,
                category_id=category.id,
                title=item.title,
                summary=item.summary,
                when_offered=item.when,
                where_offered=item.where,
                contact_name=person.display_name if person else "",
                contact_phone=person.phone if person else "",
                contact_phone_consent_at=utcnow() if consent else None,
                contact_phone_consent_by_id=recorder.id if consent else None,
                requestable=item.requestable,
                published=item.published,
                sort_order=position,
            )
        )
    db.session.commit()
