"""presslens on the web: a Gradio page and a JSON HTTP API in one server process (`presslens serve`).

    server.py    serve(host, port, model_path): load the model once, run uvicorn, stop cleanly on SIGTERM
    app.py       create_app(analyzer): FastAPI app with the API routes and the Gradio page mounted at /
    api.py       POST /api/v1/analyze, GET /healthz: body size, JSON and limits checks, 4xx JSON errors
    schemas.py   Limits and the request/response models (the OpenAPI schema)
    batching.py  MicroBatcher: one bounded queue, one worker thread, one analyze_many call per micro-batch
    ui.py        the page (gr.Blocks) and its plain event functions; render.py: how one analysis looks
    process.py, screenshot.py   the server in a child process; the page in headless Chromium (tests, docs)

Nothing here is imported by `classifier`: gradio, fastapi and uvicorn are the [demo] extra.
"""
