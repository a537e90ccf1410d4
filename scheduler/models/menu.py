"""A station's service menu: categories and the services residents can see and request."""

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.database import UTCDateTime, utcnow
from scheduler.extensions import db
from scheduler.models.core import Station, StationScoped, User


def contact_key(name: str, phone: str) -> str:
    """Names one contact person and number: a consent is given by one person for one number."""
    return hashlib.sha256(f"{name}\0{phone}".encode()).hexdigest()[:16]


class ServiceCategory(StationScoped, db.Model):
    """A heading of the menu, e.g. 关爱老人 or 便民服务."""

    __table_args__ = (sa.UniqueConstraint("station_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    sort_order: Mapped[int] = mapped_column(default=0)

    services: Mapped[list["Service"]] = relationship(back_populates="category", order_by="Service.sort_order")

    def __str__(self) -> str:
        return self.name


class Service(StationScoped, db.Model):
    """One item of the menu. Residents see it once published; request it when requestable."""

    __table_args__ = (sa.Index("ix_service_category_order", "category_id", "sort_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("service_category.id"))
    title: Mapped[str] = mapped_column(sa.String(60))
    summary: Mapped[str] = mapped_column(sa.String(200), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    when_offered: Mapped[str] = mapped_column(sa.String(120), default="")
    where_offered: Mapped[str] = mapped_column(sa.String(120), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(20), default="")
    # The contact person's consent to show their phone to the public, and who recorded it:
    # without it the public page shows the name only.
    contact_phone_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_phone_consent_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    published: Mapped[bool] = mapped_column(default=False)
    requestable: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    station: Mapped[Station] = relationship()
    category: Mapped[ServiceCategory] = relationship(back_populates="services")
    contact_phone_consent_by: Mapped[User | None] = relationship()

    def __str__(self) -> str:
        return self.title

    def set_contact(self, name: str, phone: str, phone_may_be_public: bool, recorded_by: User) -> None:
        """Change the contact; consent given to an earlier person or number does not carry over."""
        same_contact = name == self.contact_name and phone == self.contact_phone
        self.contact_name = name
        self.contact_phone = phone
        if not (phone and phone_may_be_public):
            self.contact_phone_consent_at = None
            self.contact_phone_consent_by_id = None
        elif not (same_contact and self.contact_phone_consent_at):
            self.contact_phone_consent_at = utcnow()
            self.contact_phone_consent_by_id = recorded_by.id

    @property
    def contact_phone_is_public(self) -> bool:
        return bool(self.contact_phone) and self.contact_phone_consent_at is not None

    @property
    def consented_contact_key(self) -> str | None:
        """The ``contact_key`` of the contact whose consent is on record, if any."""
        return contact_key(self.contact_name, self.contact_phone) if self.contact_phone_is_public else None

    @property
    def public_contact_phone(self) -> str:
        """The phone the public may see: only with the contact person's consent."""
        return self.contact_phone if self.contact_phone_is_public else ""

    @property
    def open_to_requests(self) -> bool:
        return self.published and self.requestable
