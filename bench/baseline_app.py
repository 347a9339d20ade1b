"""The Flask ceiling for `make bench`: a hello-world view and a minimal Jinja page."""

from flask import Flask, render_template_string

app = Flask(__name__)
PAGE = "<!doctype html><title>{{ title }}</title><h1>{{ title }}</h1><p>{{ body }}</p>"


@app.get("/")
def hello() -> str:
    return "Hello, World!"


@app.get("/jinja")
def jinja() -> str:
    return render_template_string(PAGE, title="A minimal page", body="Rendered by Jinja.")
