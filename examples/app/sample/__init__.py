"""A small Flask app used to demonstrate and test flaskstack deployments.

Entry point for a WSGI server: the app factory ``sample:create_app()``.
"""
import os
import platform
import socket

from flask import Flask, jsonify, render_template, request


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["GREETING"] = os.environ.get("GREETING", "Hello from flaskstack")

    @app.get("/")
    def index():
        return render_template(
            "index.html",
            greeting=app.config["GREETING"],
            host=socket.gethostname(),
            machine=platform.machine(),
            python=platform.python_version(),
            pid=os.getpid(),
        )

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", pid=os.getpid(), machine=platform.machine())

    @app.post("/api/echo")
    def echo():
        # A JSON API call: the body must arrive whole and the answer must carry it back.
        body = request.get_json(force=True)
        return jsonify(echo=body, pid=os.getpid())

    return app
