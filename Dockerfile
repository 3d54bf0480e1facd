# One image for the bot and the workers; the command chooses (see compose.yaml):
#   docker run IMAGE            → a worker (both task queues)
#   docker run IMAGE bot        → the Bolt app (HTTP mode on $PORT, or Socket Mode with SLACK_APP_TOKEN)
# Build stage: dev dependencies, TypeScript compiled to dist/, workflows bundled once (dist/workflow-bundle.js).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies only, the compiled code, a non-root user.
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    METRICS_PORT=9464 \
    # glibc: fewer per-thread malloc arenas in the worker (BENCHMARKS.md, figure 5)
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The knowledge base's index lives here; compose mounts a volume on it.
RUN mkdir -p /app/.kb && chown node:node /app/.kb
USER node
EXPOSE 3000 9464
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "--max-semi-space-size=1"]
CMD ["dist/worker.js"]
