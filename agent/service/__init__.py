"""The HTTP job API: ``app.py`` (``create_app``), one router per resource, the queue, the workers, retention."""
