/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Harness tests start real sshd/libvirtd in namespaces; give them room.
  testTimeout: 120000,
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
};
