// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The aux encoders and decoders every tool shares with its BPF program
 * (LT_AUX_DEFINE): each field has its own bits, none overlaps another or
 * falls off the 32, each enum it carries fits, and every value a field can
 * hold comes back from the decoder as it went into the encoder.
 */
#include <stdint.h>
#include "io.h"
#include "tap.h"
#include "tcp.h"
#include "waker.h"
#include "offcpu.h"
#include "wall.h"

/* Disjoint, of the stated width: the bits of each field, alone at all ones. */
#define FIELD_BITS(type, name, shift, bits)                                                      \
	do {                                                                                     \
		struct type a_ = { 0 };                                                          \
		uint32_t m_;                                                                     \
                                                                                                 \
		a_.name = ~0u;                                                                   \
		m_ = type##_encode(a_);                                                          \
		ok(m_ == LT_AUX_MASK(bits) << (shift) && !(m_ & seen),                           \
		   #type "." #name ": bits %d..%d, its own (mask %#x)", shift, shift + bits - 1, \
		   m_);                                                                          \
		ok((uint64_t)(shift) + (bits) <= 32, #type "." #name ": within 32 bits");        \
		seen |= m_;                                                                      \
	} while (0);
#define IO_BITS(name, shift, bits) FIELD_BITS(io_aux, name, shift, bits)
#define TCP_BITS(name, shift, bits) FIELD_BITS(tcp_aux, name, shift, bits)
#define WAKER_BITS(name, shift, bits) FIELD_BITS(lt_waker_aux, name, shift, bits)

/* Every value of one field, with the others at their own maximum, round-trips. */
#define ROUND_TRIP(type, FIELDS, field)                                                     \
	do {                                                                                \
		int bad_ = 0;                                                               \
                                                                                            \
		for (uint32_t v_ = 0; v_ <= 0xffff; v_++) {                                 \
			struct type a_, b_;                                                 \
                                                                                            \
			memset(&a_, 0xff, sizeof(a_));                                      \
			FIELDS(CUT)                                                         \
			a_.field = v_ & LT_AUX_MASK(FIELD_WIDTH_##type##_##field);          \
			b_ = type##_decode(type##_encode(a_));                              \
			bad_ += !!memcmp(&a_, &b_, sizeof(a_));                             \
		}                                                                           \
		ok(!bad_, #type "." #field ": every value round-trips (%d did not)", bad_); \
	} while (0)
#define CUT(name, shift, bits) a_.name &= LT_AUX_MASK(bits);

#define IO_WIDTH(name, shift, bits) FIELD_WIDTH_io_aux_##name = bits,
#define TCP_WIDTH(name, shift, bits) FIELD_WIDTH_tcp_aux_##name = bits,
#define WAKER_WIDTH(name, shift, bits) FIELD_WIDTH_lt_waker_aux_##name = bits,
enum { IO_AUX_FIELDS(IO_WIDTH) TCP_AUX_FIELDS(TCP_WIDTH) LT_WAKER_AUX_FIELDS(WAKER_WIDTH) };

int main(void)
{
	uint32_t seen = 0;

	IO_AUX_FIELDS(IO_BITS)
	seen = 0;
	TCP_AUX_FIELDS(TCP_BITS)
	seen = 0;
	LT_WAKER_AUX_FIELDS(WAKER_BITS)

	ok(IO_OP_OTHER <= LT_AUX_MASK(FIELD_WIDTH_io_aux_op) &&
		   IO_SYS_NR_OPS - 1 <= LT_AUX_MASK(FIELD_WIDTH_io_aux_op),
	   "io_aux.op holds enum io_op and enum io_sys_op");
	ok(IO_F_WRITEBACK * 2 - 1 <= LT_AUX_MASK(FIELD_WIDTH_io_aux_flags),
	   "io_aux.flags holds every IO_F_*");
	ok(IO_PHASE_QUEUE <= LT_AUX_MASK(FIELD_WIDTH_io_aux_phase),
	   "io_aux.phase holds enum io_phase");
	ok(TCP_EV_WAIT <= LT_AUX_MASK(FIELD_WIDTH_tcp_aux_event),
	   "tcp_aux.event holds enum tcp_event");
	ok(TCP_W_NR - 1 <= LT_AUX_MASK(FIELD_WIDTH_tcp_aux_op),
	   "tcp_aux.op holds enum tcp_wait_op (%d calls)", TCP_W_NR);
	ok(4095 <= LT_AUX_MASK(FIELD_WIDTH_tcp_aux_err), "tcp_aux.err holds any errno (< 4096)");

	ROUND_TRIP(io_aux, IO_AUX_FIELDS, op);
	ROUND_TRIP(io_aux, IO_AUX_FIELDS, flags);
	ROUND_TRIP(io_aux, IO_AUX_FIELDS, phase);
	ROUND_TRIP(io_aux, IO_AUX_FIELDS, failed);
	ROUND_TRIP(tcp_aux, TCP_AUX_FIELDS, event);
	ROUND_TRIP(tcp_aux, TCP_AUX_FIELDS, op);
	ROUND_TRIP(tcp_aux, TCP_AUX_FIELDS, failed);
	ROUND_TRIP(tcp_aux, TCP_AUX_FIELDS, err);
	ROUND_TRIP(lt_waker_aux, LT_WAKER_AUX_FIELDS, own);
	ROUND_TRIP(lt_waker_aux, LT_WAKER_AUX_FIELDS, waker_hi);
	ok(OFFCPU_PREEMPT <= LT_AUX_MASK(FIELD_WIDTH_lt_waker_aux_own) &&
		   WALL_BLOCKED_D <= LT_AUX_MASK(FIELD_WIDTH_lt_waker_aux_own),
	   "lt_waker_aux.own holds offcpu's classes and wall's states");
	ok(32 + FIELD_WIDTH_lt_waker_aux_waker_hi == LT_WAKER_ID_BITS,
	   "aux2 (32 bits) and waker_hi hold a whole waker id (%d bits)", LT_WAKER_ID_BITS);
	return tap_done();
}
