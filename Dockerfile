# The dashboard in one CPU-only image: docker build -t dl-dashboard . && docker run -p 8501:8501 dl-dashboard
# Hosted demo for a class: docker run -p 8501:8501 -e DLDASH_HOSTED=1 -v dldash-data:/app/data dl-dashboard
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DLDASH_RUNS_DB=/app/data/runs.db

WORKDIR /app

# CPU-only torch wheels are ~10x smaller than the default CUDA ones
COPY requirements.txt .
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt \
    && useradd --create-home --uid 1000 app

COPY --chown=app:app . .
RUN mkdir -p /app/data && chown app:app /app/data
USER app

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"

CMD ["streamlit", "run", "app", "--server.headless=true", "--server.port=8501", "--server.address=0.0.0.0", \
     "--browser.gatherUsageStats=false"]
