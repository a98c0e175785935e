/* A CPU-heavy driver for `npm run bench:cpu`: each IOCTL runs one deterministic workload entirely in driver code
 * (no kernel calls inside the loops) and returns a digest of what it computed, so the result can be checked.
 *
 *   0x222000  SHA-256 over an LCG-filled pool buffer (default 1 MiB)        → 32-byte digest
 *   0x222004  CRC-32 (IEEE, reflected) over an LCG-filled buffer (1 MiB)    → 4 bytes, little-endian
 *   0x222008  quicksort of LCG integers (default 100,000)                    → 4-byte FNV-1a-style checksum of the sorted array
 *   0x22200C  string loop: build, reverse, search, compare (300,000 times)   → 4-byte checksum
 *
 * An optional 4-byte input (ULONG, little-endian) overrides the size: bytes, integers or iterations. The tests use
 * small sizes; the benchmark sends no input and gets the full ones. LCG: x = x * 1664525 + 1013904223 (mod 2^32);
 * buffers take the top byte of each step; each workload has its own seed (1, 2, 3, 4). */
#define POOL_TAGGING 1
#include <ntddk.h>

#define IOCTL_CPUBENCH_SHA256 CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222000 */
#define IOCTL_CPUBENCH_CRC32  CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222004 */
#define IOCTL_CPUBENCH_SORT   CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x222008 */
#define IOCTL_CPUBENCH_STRING CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_BUFFERED, FILE_ANY_ACCESS) /* 0x22200C */

#define CPUBENCH_TAG 0x68634243u /* 'CBch' in memory */
#define MAX_BYTES (16u * 1024 * 1024)
#define MAX_INTS (1u * 1024 * 1024)

static ULONG Lcg(ULONG x)
{
    return x * 1664525u + 1013904223u;
}

static VOID FillLcg(UCHAR *buf, ULONG n, ULONG seed)
{
    ULONG x = seed, i;
    for (i = 0; i < n; i++) {
        x = Lcg(x);
        buf[i] = (UCHAR)(x >> 24);
    }
}

/* ---- SHA-256 (FIPS 180-4) ---- */

typedef struct {
    ULONG h[8];
    UCHAR block[64];
    ULONG used;
    ULONGLONG total;
} SHA256_CTX;

static const ULONG K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static VOID Sha256Block(ULONG h[8], const UCHAR *p)
{
    ULONG w[64], a, b, c, d, e, f, g, hh, t1, t2, i;
    for (i = 0; i < 16; i++)
        w[i] = ((ULONG)p[4 * i] << 24) | ((ULONG)p[4 * i + 1] << 16) | ((ULONG)p[4 * i + 2] << 8) | p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        ULONG s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        ULONG s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
    for (i = 0; i < 64; i++) {
        t1 = hh + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static VOID Sha256Init(SHA256_CTX *c)
{
    c->h[0] = 0x6a09e667; c->h[1] = 0xbb67ae85; c->h[2] = 0x3c6ef372; c->h[3] = 0xa54ff53a;
    c->h[4] = 0x510e527f; c->h[5] = 0x9b05688c; c->h[6] = 0x1f83d9ab; c->h[7] = 0x5be0cd19;
    c->used = 0;
    c->total = 0;
}

static VOID Sha256Update(SHA256_CTX *c, const UCHAR *p, ULONG n)
{
    c->total += n;
    while (n > 0) {
        if (c->used == 0 && n >= 64) {
            Sha256Block(c->h, p);
            p += 64;
            n -= 64;
        } else {
            c->block[c->used++] = *p++;
            n--;
            if (c->used == 64) {
                Sha256Block(c->h, c->block);
                c->used = 0;
            }
        }
    }
}

static VOID Sha256Final(SHA256_CTX *c, UCHAR out[32])
{
    ULONGLONG bits = c->total * 8;
    ULONG i;
    c->block[c->used++] = 0x80;
    if (c->used > 56) {
        while (c->used < 64) c->block[c->used++] = 0;
        Sha256Block(c->h, c->block);
        c->used = 0;
    }
    while (c->used < 56) c->block[c->used++] = 0;
    for (i = 0; i < 8; i++) c->block[56 + i] = (UCHAR)(bits >> (56 - 8 * i));
    Sha256Block(c->h, c->block);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (UCHAR)(c->h[i] >> 24);
        out[4 * i + 1] = (UCHAR)(c->h[i] >> 16);
        out[4 * i + 2] = (UCHAR)(c->h[i] >> 8);
        out[4 * i + 3] = (UCHAR)c->h[i];
    }
}

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib) ---- */

static ULONG Crc32(const UCHAR *p, ULONG n)
{
    ULONG table[256], crc, i, k;
    for (i = 0; i < 256; i++) {
        crc = i;
        for (k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        table[i] = crc;
    }
    crc = 0xFFFFFFFFu;
    for (i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

/* ---- quicksort: median of three, Hoare partition, recursion on the smaller side, insertion sort below 16 ---- */

static VOID InsertionSort(ULONG *a, LONG lo, LONG hi)
{
    LONG i, j;
    for (i = lo + 1; i <= hi; i++) {
        ULONG v = a[i];
        for (j = i - 1; j >= lo && a[j] > v; j--) a[j + 1] = a[j];
        a[j + 1] = v;
    }
}

static VOID QuickSort(ULONG *a, LONG lo, LONG hi)
{
    while (hi - lo >= 16) {
        LONG mid = lo + (hi - lo) / 2, i = lo - 1, j = hi + 1;
        ULONG x = a[lo], y = a[mid], z = a[hi], pivot, t;
        /* median of three */
        if (x > y) { t = x; x = y; y = t; }
        if (y > z) { t = y; y = z; z = t; }
        if (x > y) { t = x; x = y; y = t; }
        pivot = y;
        for (;;) {
            do i++; while (a[i] < pivot);
            do j--; while (a[j] > pivot);
            if (i >= j) break;
            t = a[i]; a[i] = a[j]; a[j] = t;
        }
        if (j - lo < hi - j) {
            QuickSort(a, lo, j);
            lo = j + 1;
        } else {
            QuickSort(a, j + 1, hi);
            hi = j;
        }
    }
    InsertionSort(a, lo, hi);
}

static NTSTATUS SortChecksum(ULONG n, ULONG *checksum)
{
    ULONG *a = (ULONG *)ExAllocatePoolWithTag(NonPagedPool, (SIZE_T)(n ? n : 1) * sizeof(ULONG), CPUBENCH_TAG);
    ULONG x = 3, i, h = 2166136261u;
    if (!a) return STATUS_INSUFFICIENT_RESOURCES;
    for (i = 0; i < n; i++) {
        x = Lcg(x);
        a[i] = x;
    }
    if (n > 1) QuickSort(a, 0, (LONG)n - 1);
    for (i = 0; i < n; i++) {
        h = (h ^ a[i]) * 16777619u;
        /* a sorting bug must not hide behind the checksum */
        if (i > 0 && a[i - 1] > a[i]) h = 0xDEADBEEF;
    }
    ExFreePoolWithTag(a, CPUBENCH_TAG);
    *checksum = h;
    return STATUS_SUCCESS;
}

/* ---- strings: build "key-<decimal>-<hex>", reverse it, search it, compare it with the previous one ---- */

static ULONG StrBuild(char *d, ULONG v, ULONG i)
{
    static const char hexdigits[] = "0123456789abcdef";
    char tmp[12];
    ULONG n = 0, k = 0;
    d[n++] = 'k'; d[n++] = 'e'; d[n++] = 'y'; d[n++] = '-';
    do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (k) d[n++] = tmp[--k];
    d[n++] = '-';
    do { tmp[k++] = hexdigits[i & 15]; i >>= 4; } while (i);
    while (k) d[n++] = tmp[--k];
    d[n] = 0;
    return n;
}

static VOID StrReverse(char *s, ULONG len)
{
    ULONG i = 0, j = len;
    while (j > i + 1) {
        char t = s[i];
        s[i++] = s[--j];
        s[j] = t;
    }
}

static LONG StrFind(const char *hay, const char *needle)
{
    LONG i, k;
    for (i = 0; hay[i]; i++) {
        for (k = 0; needle[k] && hay[i + k] == needle[k]; k++)
            ;
        if (!needle[k]) return i;
    }
    return -1;
}

static LONG StrCompare(const char *a, const char *b)
{
    while (*a && *a == *b) { a++; b++; }
    if ((UCHAR)*a == (UCHAR)*b) return 0;
    return (UCHAR)*a < (UCHAR)*b ? -1 : 1;
}

static VOID StrCopy(char *d, const char *s)
{
    while ((*d++ = *s++) != 0)
        ;
}

static ULONG StringChecksum(ULONG iterations)
{
    char cur[40], prev[40];
    ULONG x = 4, h = 2166136261u, i, k, len;
    prev[0] = 0;
    for (i = 0; i < iterations; i++) {
        x = Lcg(x);
        len = StrBuild(cur, x, i);
        StrReverse(cur, len);
        LONG pos = StrFind(cur, "21");
        LONG cmp = StrCompare(cur, prev);
        for (k = 0; k < len; k++) h = (h ^ (UCHAR)cur[k]) * 16777619u;
        h = (h ^ (ULONG)(pos + 1)) * 16777619u;
        h = (h ^ (ULONG)(cmp + 1)) * 16777619u;
        StrCopy(prev, cur);
    }
    return h;
}

/* ---- dispatch ---- */

VOID NTAPI CpuBenchUnload(PDRIVER_OBJECT pDriver)
{
    UNICODE_STRING link;
    RtlInitUnicodeString(&link, L"\\??\\KdCpuBench");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(pDriver->DeviceObject);
}

NTSTATUS NTAPI CpuBenchCreateClose(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    pIrp->IoStatus.Status = STATUS_SUCCESS;
    pIrp->IoStatus.Information = 0;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static VOID PutUlong(UCHAR *out, ULONG v)
{
    out[0] = (UCHAR)v; out[1] = (UCHAR)(v >> 8); out[2] = (UCHAR)(v >> 16); out[3] = (UCHAR)(v >> 24);
}

NTSTATUS NTAPI CpuBenchDeviceControl(PDEVICE_OBJECT pDevObj, PIRP pIrp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(pIrp);
    ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
    ULONG inLen = stack->Parameters.DeviceIoControl.InputBufferLength;
    ULONG outLen = stack->Parameters.DeviceIoControl.OutputBufferLength;
    UCHAR *sys = (UCHAR *)pIrp->AssociatedIrp.SystemBuffer;
    ULONG size = 0, need, result;
    NTSTATUS status = STATUS_SUCCESS;
    ULONG_PTR info = 0;

    if (inLen >= sizeof(ULONG)) size = sys[0] | ((ULONG)sys[1] << 8) | ((ULONG)sys[2] << 16) | ((ULONG)sys[3] << 24);
    need = code == IOCTL_CPUBENCH_SHA256 ? 32 : 4;

    switch (code) {
    case IOCTL_CPUBENCH_SHA256:
    case IOCTL_CPUBENCH_CRC32: {
        UCHAR *buf;
        if (inLen < sizeof(ULONG)) size = 1024 * 1024;
        if (size > MAX_BYTES) { status = STATUS_INVALID_PARAMETER; break; }
        if (outLen < need) { status = STATUS_BUFFER_TOO_SMALL; break; }
        buf = (UCHAR *)ExAllocatePoolWithTag(NonPagedPool, size ? size : 1, CPUBENCH_TAG);
        if (!buf) { status = STATUS_INSUFFICIENT_RESOURCES; break; }
        FillLcg(buf, size, code == IOCTL_CPUBENCH_SHA256 ? 1 : 2);
        if (code == IOCTL_CPUBENCH_SHA256) {
            SHA256_CTX ctx;
            Sha256Init(&ctx);
            Sha256Update(&ctx, buf, size);
            Sha256Final(&ctx, sys);
        } else {
            PutUlong(sys, Crc32(buf, size));
        }
        ExFreePoolWithTag(buf, CPUBENCH_TAG);
        info = need;
        break;
    }
    case IOCTL_CPUBENCH_SORT:
        if (inLen < sizeof(ULONG)) size = 100000;
        if (size > MAX_INTS) { status = STATUS_INVALID_PARAMETER; break; }
        if (outLen < need) { status = STATUS_BUFFER_TOO_SMALL; break; }
        status = SortChecksum(size, &result);
        if (!NT_SUCCESS(status)) break;
        PutUlong(sys, result);
        info = need;
        break;
    case IOCTL_CPUBENCH_STRING:
        if (inLen < sizeof(ULONG)) size = 300000;
        if (outLen < need) { status = STATUS_BUFFER_TOO_SMALL; break; }
        PutUlong(sys, StringChecksum(size));
        info = need;
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }

    pIrp->IoStatus.Status = status;
    pIrp->IoStatus.Information = info;
    IoCompleteRequest(pIrp, IO_NO_INCREMENT);
    return status;
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT pDriver, PUNICODE_STRING RegistryPath)
{
    NTSTATUS status;
    PDEVICE_OBJECT pDevObj;
    UNICODE_STRING name, link;

    RtlInitUnicodeString(&name, L"\\Device\\KdCpuBench");
    status = IoCreateDevice(pDriver, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &pDevObj);
    if (!NT_SUCCESS(status)) return status;
    pDevObj->Flags |= DO_BUFFERED_IO;
    RtlInitUnicodeString(&link, L"\\??\\KdCpuBench");
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(pDevObj);
        return status;
    }
    pDriver->MajorFunction[IRP_MJ_CREATE] = CpuBenchCreateClose;
    pDriver->MajorFunction[IRP_MJ_CLOSE] = CpuBenchCreateClose;
    pDriver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = CpuBenchDeviceControl;
    pDriver->DriverUnload = CpuBenchUnload;
    pDevObj->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
