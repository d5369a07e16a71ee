export { LibvirtHypervisorFactory, optionalLibvirtFactory, type LibvirtHypervisorOptions } from './libvirt-hypervisor.factory';
export { LibvirtConnection } from './libvirt-connection';
export { libvirtAvailable, type LibvirtAvailability } from './native-binding';
export { renderDomainXml, type DomainXmlContext } from './domain-xml';
export { qemuImgProvisioner, noDiskProvisioning, type DiskProvisioner, type ProvisionedDisk } from './overlay';
