"""The admin web UI: server-rendered pages under /admin for staff, enhanced by htmx where it is there.

Every page works without JavaScript; every route names its permission (a test walks them); every form carries
the session's CSRF token; reading a person's data is audited like the API's reads (Art. 5(2), 32).
`custos.web.admin.site.install(app)` adds it to an app. This module imports nothing, so the error renderer
can use `pages` without pulling in the routers.
"""
