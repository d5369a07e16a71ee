export { SimHypervisorFactory, DEFAULT_SIM_DELAYS, type SimHypervisorOptions } from './sim-hypervisor.factory';
export { type SimDelays } from './sim-host';
export { SimImageCatalogue, DEFAULT_SIM_IMAGES, type SimImage } from './sim-image-catalogue';
export { parseSimUri, formatSimUri, type SimHostConfig, type SimUri } from './sim-uri';
export { ManualTimer, systemTimer, type SimTimer } from './sim-timer';
