"""The seed's app (shared/seed/flask-session-deep-dive.md) as its article writes it, for the benchmark's reference row.

Routes, upload handling and templates are the article's. Only what the article set by editing this file is read from
the environment, so that the harness can point it at its own folder, database and Redis DB:

  SESSION_TYPE                filesystem (default), sqlalchemy or redis
  SESSION_FILE_DIR            filesystem: the session folder (Flask-Session's default: ./flask_session)
  SESSION_FILE_THRESHOLD      filesystem: the article's 5 unless set
  SQLALCHEMY_DATABASE_URI     sqlalchemy: postgresql://user@host:port/db
  SESSION_SQLALCHEMY_TABLE    sqlalchemy: table name (Flask-Session's default: sessions)
  SESSION_REDIS               redis: redis://host:port/db (the article's redis.Redis(): localhost, DB 0)
  SESSION_KEY_PREFIX          Flask-Session's default: session:
  PERMANENT_SESSION_LIFETIME  seconds; the article's 60 for sqlalchemy and redis, Flask's 31 days for filesystem

Run under gunicorn: gunicorn --preload --chdir bench/flask app:app
"""
import os
from datetime import datetime

from flask import Flask, redirect, url_for, render_template, session, request
from flask_session import Session
from jinja2 import DictLoader

TEMPLATES = {
    "base.html": """<!doctype html>
<html lang="en">
    <head>
    {% block head %}
        <meta charset="utf-8">
        <meta name='viewport' content='width=device-width, initial-scale=1'>
        <title>{% block title %}Experiment{% endblock %}</title>
    {% endblock %}
    </head>
    <body>
        {% block content %}{% endblock %}
    </body>
</html>
""",
    "greeting.html": """{% extends "base.html" %}
{% block title %}Experimental Greeting{% endblock %}
{% block content %}
    <h1>Upload text file</h1>
    <form method='POST' enctype="multipart/form-data">
        <input type='file' name='textfile'>
        <input type='submit' value='Upload'>
    </form>
    {% if session.file_contents %}
        <p>Thank you for uploading a file. See the contents of your previous upload <a href="{{ url_for('action') }}">here</a> or upload a new file.</p>
    {% else %}
        <p>This is an experiment. Upload the text file whose contents you want displayed. Or, go to the <a href="{{ url_for('action') }}">Action page</a></p> to see what happens.
    {% endif %}
{% endblock %}
""",
    "action.html": """{% extends "base.html" %}
{% block title %}This is what you asked for!{% endblock %}
{% block content %}
    <h2>Go back to the <a href="{{ url_for('greeting') }}">upload page</a>.</h2>
    <br>
    <h3>The file contents are:</h3>
    <br>
    {% if session.file_contents %}
        {% for item in session.file_contents %}
            {{ item|replace(' ','&nbsp;'|safe) }}<br>
        {% endfor %}
    {% else %}
        <p>You have not yet uploaded a file</p>
    {% endif %}
{% endblock %}
""",
}

env = os.environ.get
session_type = env("SESSION_TYPE", "filesystem")

app = Flask(__name__)
# the article keeps its templates in ./templates; inline here, same text
app.jinja_loader = DictLoader(TEMPLATES)

app.config["SECRET_KEY"] = "xyzxyxyz"
app.config["FLASK_APP"] = "app"
app.config["FLASK_ENV"] = "Development"
app.config["SESSION_TYPE"] = session_type
app.config["SESSION_KEY_PREFIX"] = env("SESSION_KEY_PREFIX", "session:")
if session_type == "filesystem":
    app.config["SESSION_FILE_THRESHOLD"] = int(env("SESSION_FILE_THRESHOLD", "5"))
    if env("SESSION_FILE_DIR"):
        app.config["SESSION_FILE_DIR"] = env("SESSION_FILE_DIR")
    if env("PERMANENT_SESSION_LIFETIME"):
        app.config["PERMANENT_SESSION_LIFETIME"] = int(env("PERMANENT_SESSION_LIFETIME"))
elif session_type == "sqlalchemy":
    # "You must set the SESSION_PERMANENT variable to be True or the database will generate type errors."
    app.config["SESSION_PERMANENT"] = True
    app.config["SQLALCHEMY_DATABASE_URI"] = env("SQLALCHEMY_DATABASE_URI",
                                                "postgresql://userdata:abcd1234@localhost:5432/userdata")
    app.config["SESSION_SQLALCHEMY_TABLE"] = env("SESSION_SQLALCHEMY_TABLE", "sessions")
    app.config["PERMANENT_SESSION_LIFETIME"] = int(env("PERMANENT_SESSION_LIFETIME", "60"))
elif session_type == "redis":
    import redis
    app.config["SESSION_PERMANENT"] = True
    app.config["SESSION_REDIS"] = redis.Redis.from_url(env("SESSION_REDIS", "redis://localhost:6379/0"))
    app.config["PERMANENT_SESSION_LIFETIME"] = int(env("PERMANENT_SESSION_LIFETIME", "60"))
else:
    raise SystemExit("SESSION_TYPE must be filesystem, sqlalchemy or redis: " + session_type)

Session(app)
if session_type == "sqlalchemy":
    # the article's workaround: Flask-Session does not create its table
    with app.app_context():
        app.session_interface.db.create_all()
        # Needed under gunicorn only: run with --preload, this module is imported once, in the master, so that five
        # workers do not race on CREATE TABLE (PostgreSQL refuses all but one, and a worker that fails to boot stops
        # gunicorn); the pool's connection is closed here so that each forked worker opens its own.
        app.session_interface.db.engine.dispose()


@app.route("/", methods=('GET', 'POST'))
def greeting():
    if request.method == 'POST':
        file = request.files['textfile']
        if file:
            lines = [x.decode('UTF-8') for x in file.readlines()]
            session['file_contents'] = lines

            if session_type == "sqlalchemy":
                # clean up old sessions: the article's code from Flask-Session pull request #117
                db_model = app.session_interface.sql_session_model
                db_model.query.filter(db_model.expiry < datetime.utcnow()).delete()
                app.session_interface.db.session.commit()

            return redirect(url_for('action'))
    return render_template('greeting.html')


@app.route("/action", methods=('GET', 'POST'))
def action():
    return render_template('action.html')
