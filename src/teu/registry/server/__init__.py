"""`teu registry serve`: an OCI distribution spec 1.1 registry as an ASGI app.

app.py routes and speaks HTTP; storage/ keeps content; auth.py decides who
may do what; gc.py sweeps unreferenced blobs. Nothing here imports an HTTP
framework: the app is raw ASGI, served by uvicorn.
"""
