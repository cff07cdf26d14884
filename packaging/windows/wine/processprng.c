/*
 * bcryptprimitives.dll for Wine 8, for the tests only (never shipped).
 *
 * Go 1.24 and later load bcryptprimitives.dll from system32 at start and
 * take all their randomness from its ProcessPrng; Wine 8 has no such DLL,
 * so every Go program dies with "bcryptprimitives.dll not found". This one
 * exports ProcessPrng on top of RtlGenRandom (advapi32's SystemFunction036),
 * which Wine has. packaging/wine_test.go builds it with mingw-w64 and copies
 * it into the test prefix's system32.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng fills data with size random bytes, in pieces because
 * RtlGenRandom takes a ULONG length. Windows' own never fails; this one
 * returns FALSE only if RtlGenRandom does. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
