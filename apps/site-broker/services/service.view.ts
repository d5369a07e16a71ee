import { type PhaseHistoryEntry, type ServiceRecord } from '@reservoir/domain/service/service-record';

/** The API's JSON for a service (a mapped view; storage rows never leave the adapter). */
export interface ServiceView {
  id: string;
  name: string;
  siteId: string;
  phase: string;
  tiers: ServiceRecord['definition']['tiers'];
  relations: ServiceRecord['definition']['relations'];
  qos: ServiceRecord['definition']['qos'];
  createdAt: string;
  updatedAt: string;
  phaseHistory?: { from: string | null; to: string; reason: string; at: string }[];
}

export function toServiceView(r: ServiceRecord, history?: PhaseHistoryEntry[]): ServiceView {
  const view: ServiceView = {
    id: r.id,
    name: r.name,
    siteId: r.siteId,
    phase: r.phase,
    tiers: r.definition.tiers,
    relations: r.definition.relations,
    qos: r.definition.qos,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
  if (history) view.phaseHistory = history.map((h) => ({ from: h.from, to: h.to, reason: h.reason, at: h.at.toISOString() }));
  return view;
}
