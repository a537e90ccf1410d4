"""The floor: a one-route Flask app answering "ok", served by the same gunicorn set-up as the app.

Each page's throughput is reported as a fraction of this app's, measured in the same run, so
the figures mean something on a shared, noisy machine.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok():
    return "ok"
