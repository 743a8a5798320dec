# Covisor in a small, non-root image. Build stage: the dependencies into a venv (compilers and
# headers stay here). Final stage: that venv and the source tree, run as an unprivileged user.
FROM python:3.11-slim AS build
RUN python -m venv /opt/venv
COPY pyproject.toml README.md /src/
COPY covisor /src/covisor
RUN /opt/venv/bin/pip install --no-cache-dir "/src[postgresql,mongo]" \
    && /opt/venv/bin/pip uninstall --yes covisor

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin covisor \
    && mkdir /data && chown covisor /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY covisor /app/covisor
COPY client /app/client
COPY media /app/media
COPY docs/openapi.yaml /app/docs/openapi.yaml
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER covisor
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["python", "-m", "covisor", "serve", "--host", "0.0.0.0", "--port", "8080", "--data-dir", "/data"]
