import { useEffect, useState } from 'react';
import { useServerEvents } from './useApi';
import { formatBytes } from './format';

interface Disk {
  freeBytes: number;
  ballastBytes: number;
  reserveBytes: number;
  low: boolean;
}

/**
 * A banner while the data disk is at its reserve (pushes, fills and imports are refused; pulls, deletes and GC
 * work). Reads /readyz once, then follows the disk.low / disk.ok events.
 */
export function DiskBanner() {
  const [disk, setDisk] = useState<Disk | undefined>();
  useEffect(() => {
    let live = true;
    fetch('/readyz')
      .then((r) => r.json() as Promise<{ disk?: Disk }>)
      .then((b) => live && setDisk(b.disk))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  useServerEvents(['disk.low', 'disk.ok'], (_type, data) => setDisk(data as Disk));
  if (!disk?.low) return null;
  return (
    <div className="alert alert-error" role="alert" data-testid="disk-banner">
      The data disk is full: {formatBytes(disk.freeBytes + disk.ballastBytes)} free, {formatBytes(disk.reserveBytes)} kept in reserve.
      New pushes, cache fills and imports are refused until space is freed; pulls, deletes and garbage collection still work.
    </div>
  );
}
