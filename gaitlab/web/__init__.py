"""``gaitlab serve``: the web app for physiotherapists (FastAPI, server-rendered pages).

Modules: ``db`` (tables, engine), ``auth`` (passwords, sessions, CSRF, lock-out), ``uploads``
(streamed multipart upload with a size limit), ``probe`` (probing uploads in a limited child
process), ``jobs`` (atomic job claim, supervisor and workers), ``app`` (routes), ``cli``.
"""
