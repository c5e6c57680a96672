# One swarm-lab node (as stacks/ synthesizes it for the offline lab), written by hand for the
# terraform-provider-libvirt 0.9 schema. Evaluation only (tools/provider-eval.sh), not the product.
terraform {
  required_providers {
    libvirt = { source = "registry.terraform.io/dmacvicar/libvirt", version = "= @VERSION@" }
  }
}
variable "uri" { type = string }
variable "pool" { type = string }
variable "files" { type = string }
variable "bridge" { type = string }
provider "libvirt" { uri = var.uri }

# 0.8.3: mode = "none", addresses = [cidr], dhcp.enabled = false, dns.enabled = true, xml.xslt for a gateway != .1
resource "libvirt_network" "net" {
  name      = "eval-net"
  autostart = false
  bridge    = { name = var.bridge }
  ips       = [{ address = "10.211.55.254", prefix = 24 }] # the gateway itself: no XSLT
  dns       = { enable = "yes" }
}

# 0.8.3: format + source (an upload from a local file), for the base image, kernel, initrd and seed ISO
locals {
  uploads = {
    base   = { name = "eval-base.qcow2", format = "qcow2", file = "base.qcow2" }
    kernel = { name = "eval-vmlinuz", format = "raw", file = "vmlinuz" }
    initrd = { name = "eval-initrd.img", format = "raw", file = "initrd.img" }
    seed   = { name = "eval-node-10-seed.iso", format = "iso", file = "seed.iso" }
  }
}
resource "libvirt_volume" "upload" {
  for_each = local.uploads
  name     = each.value.name
  pool     = var.pool
  target   = { format = { type = each.value.format } }
  create   = { content = { url = "${var.files}/${each.value.file}" } }
}
# 0.8.3: base_volume_id + size
resource "libvirt_volume" "disk" {
  name          = "eval-node-10.qcow2"
  pool          = var.pool
  capacity      = 8589934592
  target        = { format = { type = "qcow2" } }
  backing_store = { path = libvirt_volume.upload["base"].path, format = { type = "qcow2" } }
}

resource "libvirt_domain" "node" {
  name        = "eval-node-10"
  description = "swarm-lab eval: node-10 (manager) 10.211.55.10"
  type        = "qemu"
  memory      = 1536
  memory_unit = "MiB"
  vcpu        = 1
  running     = false # evaluation: define only, nothing boots
  autostart   = false
  os = {
    type         = "hvm"
    type_machine = "q35"
    kernel       = libvirt_volume.upload["kernel"].path
    initrd       = libvirt_volume.upload["initrd"].path
    cmdline      = "root=/dev/vda rw console=ttyS0 net.ifnames=1 ip=10.211.55.10::10.211.55.254:255.255.255.0:node-10:enp0s5:off"
  }
  devices = {
    disks = [
      {
        source = { volume = { pool = var.pool, volume = libvirt_volume.disk.name } }
        target = { dev = "vda", bus = "virtio" }
        driver = { name = "qemu", type = "qcow2" }
      },
      {
        source = { volume = { pool = var.pool, volume = libvirt_volume.upload["seed"].name } }
        target = { dev = "vdb", bus = "virtio" }
        driver = { name = "qemu", type = "raw" }
      },
    ]
    interfaces = [
      {
        source  = { network = { network = libvirt_network.net.name } }
        mac     = { address = "52:54:00:11:a0:4d" }
        model   = { type = "virtio" }
        address = {} # the only thing 0.9.7 accepts here: no pci/slot attributes (issue 1260)
      },
    ]
    consoles = [{ target = { type = "serial", port = 0 } }]
  }
}
