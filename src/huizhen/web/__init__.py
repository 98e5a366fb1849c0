"""The doctor's web page (static files, served by ``huizhen serve``) and its consult API.

``huizhen.web.routes.router`` is the one router the app includes: the page at
``/``, its files under ``/static``, and ``/v1/web/consult`` and
``/v1/web/passages/{id}`` which the page (or any REST client) calls.
"""
