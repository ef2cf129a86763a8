# Stand-in for the nginx image in examples/compose.yaml: Debian's nginx, with the official
# image's start-up step that renders /etc/nginx/templates/*.template into /etc/nginx/conf.d
# (envsubst of the variables that are set), logs to the container's output, and wget for the
# compose healthcheck.
FROM svcgen-ci/bookworm-minbase:latest
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx-light gettext-base wget \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/* \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
COPY nginx-entrypoint.sh /docker-entrypoint.sh
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]
