# Nova in one container: daphne serves HTTP and websockets on $PORT.
# Data (SQLite, the generated secret key, avatars) lives in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NOVA_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN useradd --system --create-home nova \
    && mkdir -p /data \
    && chown nova /data
USER nova

VOLUME ["/data"]
EXPOSE 8000
CMD ["./bin/start"]
