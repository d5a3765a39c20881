# One image for the web server and the worker (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LOOPMONITOR_VAR_DIR=/var/lib/loopmonitor

# The code version each report records (there is no .git in the image):
#   docker build --build-arg LOOPMONITOR_CODE_VERSION=$(git describe --always --dirty) .
ARG LOOPMONITOR_CODE_VERSION=unknown
ENV LOOPMONITOR_CODE_VERSION=${LOOPMONITOR_CODE_VERSION}

WORKDIR /app
# The compiled file: every package at its exact pin (requirements.in holds the ranges).
COPY requirements.txt .
RUN pip install -r requirements.txt && pip check
COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --system --home /app loopmonitor \
    && mkdir -p /var/lib/loopmonitor/media /var/lib/loopmonitor/metrics \
    && chown -R loopmonitor /var/lib/loopmonitor
USER loopmonitor

EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "loopmonitor.wsgi:application"]
