"""What the REST API (:mod:`bizsight.api`) and the pages (:mod:`bizsight.web`) share, below both:
the server's state, the request dependencies that are not about permissions, error bodies and
request telemetry. The app that mounts both is built by :func:`bizsight.server.create_app`."""
