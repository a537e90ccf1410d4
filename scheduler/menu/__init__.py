"""The service menu: the public pages residents reach from the poster, and its management.

Public: ``/`` and ``/s/<slug>/…`` (menu, service pages, requesting a service, the
poster) and ``/r/<token>`` (a resident's private follow-up link). Staff: ``/menu/…``.
"""
