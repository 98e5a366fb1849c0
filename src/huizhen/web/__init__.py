"""The doctor's web page (static files, served by ``huizhen serve``).

``huizhen.web.routes.router`` is the one router the app includes: the page at
``/``, its files under ``/static``, and ``/v1/web/passages/{id}``; the page's
consult is the service's ``POST /v1/consult``, which any REST client calls too.
"""
