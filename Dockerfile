# clausegate in a container: slim, non-root, parser caches built at image build time.
#   docker build -t clausegate .
#   docker run --rm -v "$PWD:/work" clausegate check infra/ai --subscription-tag sector=police
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY generator ./generator
COPY clausegate ./clausegate
COPY templates ./templates
RUN python -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CLAUSEGATE_CACHE_DIR=/home/clausegate/.cache/clausegate
COPY --from=build /wheels /wheels
# The HCL parser cache (python-hcl2's Lark grammar) is written next to hcl2 here, as root, so that a
# run by the unprivileged user on a read-only image never rebuilds it (about 3 s otherwise).
RUN python -m pip install --no-cache-dir /wheels/*.whl \
 && rm -rf /wheels \
 && python -c "import hcl2.parser as p; p.parser(); assert p.PARSER_FILE.exists()" \
 && python -m compileall -q "$(python -c 'import generator, os; print(os.path.dirname(generator.__file__))')" \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin clausegate
USER clausegate
WORKDIR /work
ENTRYPOINT ["clausegate"]
CMD ["--help"]
