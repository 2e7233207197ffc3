// Devices of one tenant, for MAC authentication bypass: a MAC in the path may be written in any
// common spelling. tenant-admin and msp-admin register and change them; helpdesk reads.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../../core/errors.ts';
import { DeviceJson, DevicePage, DevicePageQuery, DevicePatchBody, NewDeviceBody } from '../api.ts';
import { actorOf, directoryOf, pageJson, pageOf, type AdminContext, type TenantParams } from '../context.ts';
import { TenantPath } from './tenants.ts';

const DevicePath = Type.Object({ tenant: Type.String(), mac: Type.String({ maxLength: 64 }) });
interface DeviceParams extends TenantParams {
  mac: string;
}

const read = { access: 'read' } as const;
const write = { access: 'write' } as const;

export function deviceRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const base = '/api/v1/tenants/:tenant/devices';
  const one = { params: DevicePath };

  app.get<{ Params: TenantParams; Querystring: DevicePageQuery }>(base, {
    config: read, schema: { params: TenantPath, querystring: DevicePageQuery, response: { 200: DevicePage } },
  }, async (req) => pageJson(await directoryOf(ctx, req).listDevices(pageOf(req.query))));

  app.post<{ Params: TenantParams; Body: NewDeviceBody }>(base, {
    config: write, schema: { params: TenantPath, body: NewDeviceBody, response: { 201: DeviceJson } },
  }, async (req, reply) => {
    const device = await directoryOf(ctx, req).addDevice(req.body, actorOf(req));
    return reply.status(201).header('location', `/api/v1/tenants/${req.params.tenant}/devices/${device.mac}`).send(device);
  });

  app.get<{ Params: DeviceParams }>(`${base}/:mac`, {
    config: read, schema: { ...one, response: { 200: DeviceJson } },
  }, async (req) => {
    const device = await directoryOf(ctx, req).getDevice(req.params.mac);
    if (!device) throw new NotFound(`device ${req.params.mac} is not registered`);
    return device;
  });

  app.patch<{ Params: DeviceParams; Body: DevicePatchBody }>(`${base}/:mac`, {
    config: write, schema: { ...one, body: DevicePatchBody, response: { 200: DeviceJson } },
  }, async (req) => directoryOf(ctx, req).updateDevice(req.params.mac, req.body, actorOf(req)));

  app.delete<{ Params: DeviceParams }>(`${base}/:mac`, { config: write, schema: one }, async (req, reply) => {
    await directoryOf(ctx, req).deleteDevice(req.params.mac, actorOf(req));
    return reply.status(204).send();
  });
}
