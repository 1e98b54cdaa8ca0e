// neuron_unit: the fixed-point CUBA LIF datapath of one neuron for one timestep.
//
// Pure combinational unit; its model is emulator/neurons/kernels.py::neuron_step (imported by
// rtl_models/tests/neuron_unit_tb.py, never rewritten there). The core registers its inputs
// (state and parameter memories, accumulator slot) and writes its outputs back. Ordering:
//
//   u     = wrap24(decay(u, du, 1) + a)                       current wraps (two's complement)
//   u_inh = wrap24(decay(u_inh, du_inh, 1) + a_inh)           only with FLAG_DUAL
//   th    = decay(th, dth, 0)                                 only with FLAG_ADAPT
//   if ref > 0: ref - 1, v held, no spike
//   else v = sat24(decay(v, dv, 0) + u + u_inh + (bias_mant << bias_exp))
//        spike iff v > (vth << 6) + th; then v = 0 (or v -= (vth << 6) + th with FLAG_SUBTRACT),
//        ref = refractory, th = min(th + (th_inc << 6), TH_MAX) with FLAG_ADAPT
//
// decay(x, d, o) = sign(x) * ((|x| * (4096 - o - d)) >> 12): the product is biased by 2^12 - 1
// when negative before the arithmetic shift, which turns floor into truncation toward zero.
// Variants (lif, if, alif, dual current) are flag bits of the same datapath; HAS_ADAPT and
// HAS_DUAL = 0 leave that hardware out (the flag bit is then ignored; the bridge refuses images
// that need it).
`timescale 1ns / 1ps
`default_nettype none

module neuron_unit #(
    parameter integer U_BITS = 24,           // width of u, u_inh and v (fixed.U_BITS, V_BITS)
    parameter integer ACC_BITS = 24,         // width of an accumulator slot a, a_inh (fixed.ACC_BITS)
    parameter integer DECAY_BITS = 12,       // width of du, du_inh, dv, dth (fixed.DECAY_BITS = DECAY_SHIFT)
    parameter integer VTH_BITS = 17,         // unsigned threshold mantissa (fixed.VTH_MANT_BITS)
    parameter integer VTH_SHIFT = 6,         // threshold and th_inc are compared as x << VTH_SHIFT
    parameter integer BIAS_MANT_BITS = 13,   // signed bias mantissa (fixed.BIAS_MANT_BITS)
    parameter integer BIAS_EXP_BITS = 3,     // unsigned bias exponent (fixed.BIAS_EXP_BITS)
    parameter integer REF_BITS = 6,          // refractory counter and period (fixed.REFRACT_BITS)
    parameter integer HAS_ADAPT = 1,         // 1: adaptive-threshold hardware (FLAG_ADAPT) present
    parameter integer HAS_DUAL = 1           // 1: separate inhibitory current u_inh (FLAG_DUAL) present
) (
    // dendritic input of this timestep (ring slot t), wrapped to ACC_BITS by the accumulator
    input  wire [ACC_BITS-1:0]       a_i,
    input  wire [ACC_BITS-1:0]       a_inh_i,
    // state registers before the update
    input  wire [U_BITS-1:0]         u_i,
    input  wire [U_BITS-1:0]         u_inh_i,
    input  wire [U_BITS-1:0]         v_i,
    input  wire [U_BITS-1:0]         th_i,      // 0 .. 2^(U_BITS-1) - 1
    input  wire [REF_BITS-1:0]       ref_i,
    // per-neuron parameters
    input  wire [DECAY_BITS-1:0]     du_i,
    input  wire [DECAY_BITS-1:0]     du_inh_i,
    input  wire [DECAY_BITS-1:0]     dv_i,
    input  wire [DECAY_BITS-1:0]     dth_i,
    input  wire [VTH_BITS-1:0]       vth_i,
    input  wire [BIAS_MANT_BITS-1:0] bias_mant_i,
    input  wire [BIAS_EXP_BITS-1:0]  bias_exp_i,
    input  wire [REF_BITS-1:0]       refractory_i,
    input  wire [VTH_BITS-1:0]       th_inc_i,
    input  wire [2:0]                flags_i,   // {DUAL, ADAPT, SUBTRACT}
    // state registers after the update, and the spike
    output wire [U_BITS-1:0]         u_o,
    output wire [U_BITS-1:0]         u_inh_o,
    output wire [U_BITS-1:0]         v_o,
    output wire [U_BITS-1:0]         th_o,
    output wire [REF_BITS-1:0]       ref_o,
    output wire                      spike_o
);

    // ------------------------------------------------------------------ parameter checks
    // Verilog-2005 has no elaboration-time assertion: an illegal combination stops the
    // simulation at time 0 with a message, before any clock edge.
    initial begin
        if (U_BITS < 8 || U_BITS > 30 || ACC_BITS != U_BITS || DECAY_BITS < 2 || DECAY_BITS > 16
            || VTH_BITS + VTH_SHIFT >= U_BITS || BIAS_MANT_BITS + (1 << BIAS_EXP_BITS) - 1 >= U_BITS
            || REF_BITS < 1 || REF_BITS > 16 || (HAS_ADAPT != 0 && HAS_ADAPT != 1)
            || (HAS_DUAL != 0 && HAS_DUAL != 1)) begin
            $display("ERROR: neuron_unit %m: illegal parameters (ACC_BITS must equal U_BITS; %s",
                     "the threshold and the bias must fit in U_BITS; HAS_* are 0 or 1)");
            $finish;
        end
    end

    localparam integer W = U_BITS + 3;              // room for the sum of three U_BITS terms
    localparam integer PW = U_BITS + DECAY_BITS + 2; // decay product: signed x times unsigned m
    localparam integer MW = DECAY_BITS + 1;          // multiplier 2^DECAY_BITS - o - d: 0 .. 2^DECAY_BITS
    localparam [PW-1:0] ROUND = {{(PW - DECAY_BITS){1'b0}}, {DECAY_BITS{1'b1}}};
    localparam [MW-1:0] ONE = {1'b1, {DECAY_BITS{1'b0}}};                 // 2^DECAY_BITS
    localparam signed [W-1:0] V_MAX = {{(W - U_BITS + 1){1'b0}}, {(U_BITS - 1){1'b1}}};
    localparam signed [W-1:0] V_MIN = -V_MAX;                             // symmetric saturation
    localparam [W-1:0] TH_MAX = {{(W - U_BITS + 1){1'b0}}, {(U_BITS - 1){1'b1}}};

    wire subtract = flags_i[0];
    wire adapt = (HAS_ADAPT != 0) && flags_i[1];
    wire dual = (HAS_DUAL != 0) && flags_i[2];

    // ------------------------------------------------------------------ decays
    // decay(x, d, o) with x signed U_BITS, m = 2^12 - o - d unsigned; result fits in U_BITS + 1
    wire [MW-1:0] m_u = ONE - {{(MW - 1){1'b0}}, 1'b1} - {1'b0, du_i};
    wire [MW-1:0] m_ui = ONE - {{(MW - 1){1'b0}}, 1'b1} - {1'b0, du_inh_i};
    wire [MW-1:0] m_v = ONE - {1'b0, dv_i};
    wire [MW-1:0] m_th = ONE - {1'b0, dth_i};

    wire signed [PW-1:0] p_u = $signed({{(PW - U_BITS){u_i[U_BITS-1]}}, u_i})
                               * $signed({{(PW - MW){1'b0}}, m_u});
    wire signed [PW-1:0] p_ui = $signed({{(PW - U_BITS){u_inh_i[U_BITS-1]}}, u_inh_i})
                                * $signed({{(PW - MW){1'b0}}, m_ui});
    wire signed [PW-1:0] p_v = $signed({{(PW - U_BITS){v_i[U_BITS-1]}}, v_i})
                               * $signed({{(PW - MW){1'b0}}, m_v});
    wire signed [PW-1:0] p_th = $signed({{(PW - U_BITS){1'b0}}, th_i})
                                * $signed({{(PW - MW){1'b0}}, m_th});

    // truncation toward zero: add 2^12 - 1 to a negative product, then shift arithmetically
    wire signed [PW-1:0] q_u = (p_u + (p_u[PW-1] ? $signed(ROUND) : $signed({PW{1'b0}}))) >>> DECAY_BITS;
    wire signed [PW-1:0] q_ui = (p_ui + (p_ui[PW-1] ? $signed(ROUND) : $signed({PW{1'b0}}))) >>> DECAY_BITS;
`ifdef MUTANT_DECAY_FLOOR
    // planted defect for the mutation test: v decays with floor rounding (toward minus infinity)
    wire signed [PW-1:0] q_v = p_v >>> DECAY_BITS;
    wire unused_mutant = &{1'b0, ROUND};
`else
    wire signed [PW-1:0] q_v = (p_v + (p_v[PW-1] ? $signed(ROUND) : $signed({PW{1'b0}}))) >>> DECAY_BITS;
`endif
    wire signed [PW-1:0] q_th = p_th >>> DECAY_BITS;       // th >= 0: floor is truncation

    // ------------------------------------------------------------------ currents (wrap)
    wire [U_BITS-1:0] u_new = q_u[U_BITS-1:0] + a_i;           // drops the carry: wrap24
    wire [U_BITS-1:0] u_inh_new = dual ? (q_ui[U_BITS-1:0] + a_inh_i) : u_inh_i;

    // ------------------------------------------------------------------ threshold adaptation
    wire [U_BITS-1:0] th_dec = adapt ? q_th[U_BITS-1:0] : th_i;

    // ------------------------------------------------------------------ voltage (saturates)
    wire signed [W-1:0] bias_w = $signed({{(W - BIAS_MANT_BITS){bias_mant_i[BIAS_MANT_BITS-1]}}, bias_mant_i})
                                 <<< bias_exp_i;
    wire signed [W-1:0] v_sum = $signed(q_v[W-1:0])
                                + $signed({{(W - U_BITS){u_new[U_BITS-1]}}, u_new})
                                + $signed({{(W - U_BITS){u_inh_new[U_BITS-1]}}, u_inh_new})
                                + bias_w;
    wire signed [W-1:0] v_sat = (v_sum > V_MAX) ? V_MAX : ((v_sum < V_MIN) ? V_MIN : v_sum);

    // ------------------------------------------------------------------ spike and reset
    wire signed [W-1:0] theta = $signed({{(W - VTH_BITS - VTH_SHIFT){1'b0}}, vth_i, {VTH_SHIFT{1'b0}}})
                                + $signed({{(W - U_BITS){1'b0}}, th_dec});
    wire refractory_now = (ref_i != {REF_BITS{1'b0}});
    wire fire = !refractory_now && (v_sat > theta);
    wire signed [W-1:0] v_reset = subtract ? (v_sat - theta) : {W{1'b0}};
    wire [W-1:0] th_bumped = {3'b000, th_dec} + {{(W - VTH_BITS - VTH_SHIFT){1'b0}}, th_inc_i, {VTH_SHIFT{1'b0}}};
    wire [W-1:0] th_sat = (th_bumped > TH_MAX) ? TH_MAX : th_bumped;

    assign u_o = u_new;
    assign u_inh_o = u_inh_new;
    assign v_o = refractory_now ? v_i : (fire ? v_reset[U_BITS-1:0] : v_sat[U_BITS-1:0]);
    assign th_o = (fire && adapt) ? th_sat[U_BITS-1:0] : th_dec;
    assign ref_o = refractory_now ? (ref_i - {{(REF_BITS - 1){1'b0}}, 1'b1}) : (fire ? refractory_i : ref_i);
    assign spike_o = fire;

    // bits that are provably zero or sign copies after the range analysis above
    wire unused_ok = &{1'b0, q_u[PW-1:U_BITS], q_ui[PW-1:U_BITS], q_v[PW-1:W], q_th[PW-1:U_BITS],
                       v_reset[W-1:U_BITS], v_sat[W-1:U_BITS], th_sat[W-1:U_BITS]};

endmodule

`default_nettype wire
