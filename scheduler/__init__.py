"""Station Scheduler: volunteer work of a residential community's service station."""

import logging
import os

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_datetime, get_locale, get_translations
from werkzeug.middleware.proxy_fix import ProxyFix

from scheduler.config import CONFIGS, INSTANCE_DIR, Config
from scheduler.database import configure_sqlite, mark_read_only_requests
from scheduler.extensions import babel, compress, csrf, db, limiter, login_manager, migrate


def config_from_environment() -> type[Config]:
    return CONFIGS[os.environ.get("SCHEDULER_ENV", "production")]


def select_locale() -> str:
    """The language the visitor chose (a cookie), else Simplified Chinese; CLI: Chinese."""
    chosen = request.cookies.get("lang") if has_request_context() else None
    return chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def template_translations():
    """Flask-Babel's translations, kept for the request next to the locale they are for.

    Templates ask at every ``_()``, a few hundred times on a week board, and Flask-Babel
    finds them through several context lookups each time. A forced locale (``force_locale``)
    is another locale object, so it gets its own.
    """
    locale = get_locale()
    if locale is None:  # outside a request or app context
        return get_translations()
    kept = g.get("template_translations")
    if kept is None or kept[0] is not locale:
        kept = g.template_translations = (locale, get_translations())
    return kept[1]


def create_app(config_class: type[Config] | None = None) -> Flask:
    config_class = config_class or config_from_environment()
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(config_class)
    config_class.check(app.config)
    if app.config["HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    os.makedirs(app.instance_path, exist_ok=True)

    from scheduler.inputs import init_input_guards

    # First: the id converter before any route is added, the NUL check before any other hook.
    init_input_guards(app)
    init_extensions(app)
    register_blueprints(app)

    from scheduler.errors import init_error_handlers
    from scheduler.security import init_security_headers

    init_error_handlers(app)
    init_security_headers(app)
    init_templates(app)

    from scheduler.public_cache import init_cached_public_pages

    init_cached_public_pages(app)

    from scheduler.cli import register_cli
    from scheduler.outbox.cli import register_notices_cli

    register_cli(app)
    register_notices_cli(app)
    logging.getLogger("scheduler").setLevel(logging.INFO)
    from scheduler.log_masking import mask_logger

    mask_logger(app.logger)  # "Exception on /r/<token> [GET]" when a request fails
    mask_logger(logging.getLogger("werkzeug"))  # the development server's request log
    return app


def init_extensions(app: Flask) -> None:
    from scheduler import models  # noqa: F401  (register tables with the metadata)

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, synchronous=app.config["SQLITE_SYNCHRONOUS"])
    mark_read_only_requests(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: template_translations().ugettext(string),
        ngettext=lambda singular, plural, n: template_translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: template_translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: template_translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
    limiter.init_app(app)
    compress.init_app(app)

    from scheduler.public_cache import init_public_cache
    from scheduler.static_files import init_static_files

    init_static_files(app)
    init_public_cache(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    from scheduler.auth.services import load_user_from_session_id

    login_manager.user_loader(load_user_from_session_id)


def register_blueprints(app: Flask) -> None:
    from scheduler.auth.blueprint import bp as auth_bp
    from scheduler.board.blueprint import bp as board_bp
    from scheduler.main.blueprint import bp as main_bp
    from scheduler.me.blueprint import bp as me_bp
    from scheduler.menu.blueprint import bp as menu_bp
    from scheduler.outbox.blueprint import bp as notices_bp
    from scheduler.people.blueprint import bp as people_bp
    from scheduler.reports.blueprint import bp as reports_bp
    from scheduler.requests.blueprint import bp as requests_bp
    from scheduler.shifts.blueprint import bp as shifts_bp
    from scheduler.tasks.blueprint import bp as tasks_bp
    from scheduler.timebank.blueprint import bp as timebank_bp
    from scheduler.visits.blueprint import bp as visits_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(menu_bp)
    app.register_blueprint(board_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(me_bp, url_prefix="/me")
    app.register_blueprint(people_bp, url_prefix="/people")
    app.register_blueprint(visits_bp, url_prefix="/beneficiaries")
    app.register_blueprint(tasks_bp, url_prefix="/tasks")
    app.register_blueprint(shifts_bp, url_prefix="/shifts")
    app.register_blueprint(requests_bp, url_prefix="/requests")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(notices_bp, url_prefix="/notices")
    app.register_blueprint(timebank_bp)


def init_templates(app: Flask) -> None:
    from scheduler.forms import mask_phone
    from scheduler.models import Role
    from scheduler.navigation import nav_items_for_current_user
    from scheduler.public_cache import renders_public_page

    app.jinja_env.globals.update(
        Role=Role,
        languages=app.config["LANGUAGES"],
        get_locale=get_locale,
        nav_items=nav_items_for_current_user,
        public_page=renders_public_page,
    )
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["datetime"] = lambda value, fmt="yyyy-MM-dd HH:mm": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
