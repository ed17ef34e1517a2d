import { All, Controller, Get, Header, Inject } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { MethodNotAllowedException } from './api-exception.filter.js';
import { METRICS_REGISTRY } from './tokens.js';

/**
 * `GET /metrics`: sockauth's counters (handshakes, re-auths, expiries, revocations, live sockets, verify latency)
 * in the Prometheus text format, as in the Socket.IO example. Open, as befits a local demo: in production, serve
 * metrics on an internal port or behind authentication (they reveal traffic, never tokens).
 */
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  @All()
  wrongMethod(): never {
    throw new MethodNotAllowedException(['GET', 'HEAD']);
  }
}
