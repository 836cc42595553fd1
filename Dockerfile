FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --omit=dev
COPY . .
ENV NODE_ENV=production
RUN mkdir -p /data && chown node:node /data
USER node
CMD ["node", "bin/frontdesk.js", "serve"]
