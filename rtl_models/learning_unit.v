// learning_unit: the trace-based learning engine of one core (phase 3 of a timestep).
//
// Model: emulator/learning/kernels.py::learn_core (the learn phase), emulator/learning/fixed.py
// (trace_step, round_dw, apply_dw, lfsr_next) and rules.py (the encoded rule program); the cycle
// model emulator/engine/accounting.py::learn_cycles, per core and timestep:
//     learn cycles = C_TRACE_UPDATE * trace updates + C_LEARN_SYNAPSE * plastic synapses updated
//                    + C_LEARN_EPOCH * (1 when a plastic row of the core is on its epoch boundary)
// As in core.v, every operation is one FSM state held for exactly its cost (sub_reg counts) doing
// its work on its last cycle, so the learn phase has no overhead cycle.
//
// The core hands over with `go` in the last cycle of its update phase (only when has_work: the
// core has plastic rows or learning neurons); `last` is high in the learn phase's last cycle.
// Order of the operations (docs/learning.md, "Order of the learn phase"):
//   A. every plastic row a in row order (the list plist): op X1: x0 |= spiked, x1 = trace_step;
//      op X2: x2 = trace_step. A row whose rule is on its epoch boundary, (t + 1) % epoch == 0,
//      raises the epoch flag and, when it has synapses, is queued for phase C.
//   B. every learning neuron n in id order (the list nlist): ops Y1 (y0 |= spiked, y1), Y2, Y3.
//   C. when the epoch flag is up: op EPOCH, then for every queued row, every synapse j in order,
//      op SYN: w = clamp(w + round_dw(acc), wmin, wmax), written back into the core's synapse word
//      through a registered write port (the cycle after the op; no later op of the phase reads that
//      synapse, and the chip's barrier, >= 2 cycles, ends the timestep after the last write).
// The end-of-epoch clears of x0 (rows) and y0 (neurons) are folded into ops X1 and Y1: each keeps
// x0 | spiked for this timestep's rules (x0e, y0e) and stores the cleared value (x0k, y0k) for the
// next, so no operation has to revisit a row or a neuron and skipping costs no cycle.
//
// Random bits: the core's xorshift32 register advances once per draw, only where a draw can change
// the result: a trace op whose old value is non-zero (rnd12 = the top 12 bits of the next state) and
// a SYN op whose accumulator has a non-zero fraction (rnd8 = its top 8 bits), in operation order.
//
// Rule program (rprog, MAX_TERMS words per rule, one per term, TERM_W bits, LSB first):
// const[8] (signed, 0 = unused), exp[4] (signed, -8..7), code[4] x 4 (0: 1, 1: x0, 2: x1, 3: x2,
// 4: y0, 5: y1, 6: y2, 7: y3, 8: w, 9: r); evaluated for all terms in parallel by one datapath:
//     acc = sum_terms const * v[code0] * v[code1] * v[code2] * v[code3] << (8 + exp)     (64-bit)
// The accumulator and the new weight are pure functions (rule_acc, new_weight) evaluated in the
// register process on the edge that ends a SYN op: the logic a synthesizer builds from them is the
// same as from a combinational block, but a simulator evaluates them once per synapse instead of
// every cycle (cocotb builds Verilator with --public-flat-rw, which keeps and evaluates every
// combinational signal on every evaluation).
// Epoch boundaries: a phase register per rule holds t mod epoch (advanced at the end of each learn
// phase; every learn phase of the core runs, so it counts timesteps).
//
// Memories (async read, one write port each) are loaded on `load` from
// <+NEUROEMU_MEMDIR>/p<load_prog>/core<CORE_ID>_{lcfg,lrow,plist,nlist,rprog,rparam,reward}.mem
// (layouts in emulator/bridge/learning.py); traces reset to 0, the LFSR to the file's seed.
`timescale 1ns / 1ps
`default_nettype none

module learning_unit #(
    parameter integer CORE_ID = 0,          // index of the core: names its memory files core<CORE_ID>_*.mem
    parameter integer NEURON_AW = 6,        // neuron address bits of the core (<= 10)
    parameter integer AXON_AW = 9,          // input-axon (synapse row) address bits of the core (<= 16)
    parameter integer SYN_AW = 12,          // synapse address bits of the core (<= 16)
    parameter integer RULE_AW = 3,          // rule-table address bits: 2^RULE_AW learning rules per core (<= 7)
    parameter integer C_TRACE_UPDATE = 1,   // cycles per trace register update (chip YAML cycles.trace_update)
    parameter integer C_LEARN_SYNAPSE = 2,  // cycles per plastic synapse update (cycles.learn_synapse)
    parameter integer C_LEARN_EPOCH = 16    // cycles per learning epoch of the core (cycles.learn_epoch), 0 allowed
) (
    input  wire                    clk,
    input  wire                    rst,          // synchronous, active high
    input  wire                    load,         // simulation only: reload program load_prog (also resets)
    input  wire [15:0]             load_prog,
    output wire                    has_work,     // the core has plastic rows or learning neurons
    input  wire                    go,           // the update phase ends in this cycle: learn from the next
    output wire                    last,         // the learn phase's last cycle
    // deliver phase: an input-axon event popped from the core's FIFO (flags the row when plastic)
    input  wire                    pre_valid,
    input  wire [AXON_AW-1:0]      pre_row,
    // read port on the core's row table (synapse range of a plastic row)
    output wire [AXON_AW-1:0]      row_addr,
    input  wire [15:0]             row_start,
    input  wire [15:0]             row_end,
    // read port on the core's neuron state: the spike flag of this timestep's update
    output wire [NEURON_AW-1:0]    neu_addr,
    input  wire                    neu_spiked,
    // read port on the core's synapse memory, and a registered write port on its weight field
    output wire [SYN_AW-1:0]       syn_addr,
    input  wire [NEURON_AW-1:0]    syn_target,
    input  wire [8:0]              syn_weight,
    output wire                    syn_we,
    output wire [SYN_AW-1:0]       syn_waddr,
    output wire [8:0]              syn_wdata,
    // debug reads (combinational, bursts): the trace words of rows dbg_addr .. dbg_addr + 7 (x0[1] x1[7]
    // x2[7] each), of neurons dbg_addr .. dbg_addr + 4 (y0[1] y1[7] y2[7] y3[7] each), learn counter
    // dbg_addr[2:0] (0 learn cycles, 1 synapses, 2 trace updates, 3 epochs, 4 LFSR)
    input  wire [15:0]             dbg_addr,
    output wire [8*15-1:0]         dbg_xtr,
    output wire [5*22-1:0]         dbg_ytr,
    output wire [31:0]             dbg_ctr
);

    // ------------------------------------------------------------------ widths (emulator/learning/fixed.py, rules.py)
    localparam integer TRACE_BITS = 7;              // fixed.TRACE_BITS
    localparam integer DECAY_BITS = 12;             // fixed.TRACE_DECAY_BITS
    localparam integer WEIGHT_BITS = 9;             // emulator.fixed.WEIGHT_BITS
    localparam integer REWARD_BITS = 8;             // rules: r is a signed 8-bit third factor
    localparam integer MAX_TERMS = 8;               // rules.MAX_TERMS
    localparam integer TERM_W = 28;                 // learning.TERM_FIELDS: const 8, exp 4, 4 codes of 4
    localparam integer PARAM_W = 130;               // learning.RPARAM_FIELDS
    localparam integer LCFG_W = 32;                 // learning.LCFG words
    localparam integer LROW_W = 8;                  // learning.LROW_FIELDS: rule 7, plastic 1
    localparam integer LIST_W = 24;                 // learning.PLIST_FIELDS / NLIST_FIELDS: index 16, rule 8
    localparam integer XTR_W = 16;                  // x0k[1] x1[7] x2[7] x0e[1]
    localparam integer YTR_W = 23;                  // y0k[1] y1[7] y2[7] y3[7] y0e[1]
    localparam integer QUE_W = AXON_AW + 32 + RULE_AW;   // queued row: row, syn start, syn end, rule
    localparam integer CW = 32;                     // counters
    localparam integer SUB_W = 8;                   // sub-cycle counter: costs up to 255
    localparam integer NRULES = 1 << RULE_AW;
    localparam integer N_MAX = 1 << NEURON_AW;
    localparam integer A_MAX = 1 << AXON_AW;

    // ------------------------------------------------------------------ parameter checks
    initial begin
        if (NEURON_AW < 1 || NEURON_AW > 10 || AXON_AW < 1 || AXON_AW > 16 || SYN_AW < 1 || SYN_AW > 16
            || RULE_AW < 1 || RULE_AW > 7 || C_TRACE_UPDATE < 1 || C_TRACE_UPDATE >= (1 << SUB_W)
            || C_LEARN_SYNAPSE < 1 || C_LEARN_SYNAPSE >= (1 << SUB_W) || C_LEARN_EPOCH < 0
            || C_LEARN_EPOCH >= (1 << SUB_W)) begin
            $display("ERROR: learning_unit %m: illegal parameters (%s)",
                     "address widths, RULE_AW 1..7, trace/synapse costs 1..255, epoch cost 0..255");
            $finish;
        end
    end

    // ------------------------------------------------------------------ memories
    reg [LCFG_W-1:0]  lcfg_mem   [0:7];         // rows, neurons, plastic rows, learning neurons, rules, LFSR seed
    reg [LROW_W-1:0]  lrow_mem   [0:A_MAX-1];   // per row: rule, plastic
    reg [LIST_W-1:0]  plist_mem  [0:A_MAX-1];   // plastic rows in row order: row, rule
    reg [LIST_W-1:0]  nlist_mem  [0:N_MAX-1];   // learning neurons in id order: neuron, rule
    reg [TERM_W-1:0]  rprog_mem  [0:NRULES*MAX_TERMS-1];   // rule programs: term i of rule r at {r, i}
    reg [PARAM_W-1:0] rparam_mem [0:NRULES-1];  // epoch, bounds, trace decays and impulses
    reg [REWARD_BITS-1:0] rew_mem [0:N_MAX-1];  // third factor r per neuron
    reg [XTR_W-1:0]   xtr_mem    [0:A_MAX-1];   // pre traces per row
    reg [YTR_W-1:0]   ytr_mem    [0:N_MAX-1];   // post traces per neuron
    reg               xspk_mem   [0:A_MAX-1];   // the row received a packet this timestep
    reg [QUE_W-1:0]   que_mem    [0:A_MAX-1];   // rows of this epoch's weight updates
    reg [15:0]        ph_reg     [0:NRULES-1];  // t mod epoch of each rule

    // ------------------------------------------------------------------ registers
    localparam [2:0] L_IDLE = 3'd0, L_X1 = 3'd1, L_X2 = 3'd2, L_Y1 = 3'd3, L_Y2 = 3'd4, L_Y3 = 3'd5,
                     L_EPOCH = 3'd6, L_SYN = 3'd7;
    reg [2:0]         state_reg, state_next;
    reg [SUB_W-1:0]   sub_reg, sub_next;
    reg [AXON_AW:0]   pi_reg, pi_next;          // plastic-row list index (phase A)
    reg [NEURON_AW:0] ni_reg, ni_next;          // learning-neuron list index (phase B)
    reg [AXON_AW:0]   qn_reg, qn_next;          // rows queued for phase C
    reg [AXON_AW:0]   q_reg, q_next;            // queued row being updated (phase C)
    reg [15:0]        j_reg, j_next;            // synapse being updated
    reg [15:0]        jend_reg, jend_next;
    reg               ep_reg, ep_next;          // a plastic row is on its epoch boundary
    reg               spk_reg, spk_next;        // spike flag of the row / neuron of ops X2, Y2, Y3
    reg [31:0]        lfsr_reg;
    reg [CW-1:0]      cyc_reg, cyc_next;        // counters of the current/last learn phase
    reg [CW-1:0]      nsyn_reg, nsyn_next;
    reg [CW-1:0]      ntr_reg, ntr_next;
    reg               nep_reg, nep_next;
    reg               wq_we_reg;                // registered weight write: enable, synapse, weight
    reg [SYN_AW-1:0]  wq_addr_reg;
    reg [8:0]         wq_w_reg;

    // ------------------------------------------------------------------ table reads
    wire [AXON_AW:0]   n_plist = lcfg_mem[2][AXON_AW:0];
    wire [NEURON_AW:0] n_nlist = lcfg_mem[3][NEURON_AW:0];
    assign has_work = (n_plist != {(AXON_AW + 1){1'b0}}) || (n_nlist != {(NEURON_AW + 1){1'b0}});

    wire [LIST_W-1:0] pl = plist_mem[pi_reg[AXON_AW-1:0]];
    wire [AXON_AW-1:0] pl_row = pl[AXON_AW-1:0];
    wire [RULE_AW-1:0] pl_rule = pl[16 +: RULE_AW];
    wire [LIST_W-1:0] nl = nlist_mem[ni_reg[NEURON_AW-1:0]];
    wire [NEURON_AW-1:0] nl_neu = nl[NEURON_AW-1:0];
    wire [RULE_AW-1:0] nl_rule = nl[16 +: RULE_AW];
    wire [QUE_W-1:0] qe = que_mem[q_reg[AXON_AW-1:0]];
    wire [AXON_AW-1:0] qe_row = qe[AXON_AW-1:0];
    wire [RULE_AW-1:0] qe_rule = qe[AXON_AW + 32 +: RULE_AW];
    // the queued row that phase C moves to next: entry 0 when it starts, else the one after q
    wire in_syn = (state_reg == L_SYN);
    wire [AXON_AW:0] q_inc = q_reg + 1'b1;
    wire [AXON_AW-1:0] qf_addr = in_syn ? q_inc[AXON_AW-1:0] : {AXON_AW{1'b0}};
    wire [QUE_W-1:0] qf = que_mem[qf_addr];
    wire [15:0] qf_start = qf[AXON_AW +: 16];
    wire [15:0] qf_end = qf[AXON_AW + 16 +: 16];

    wire in_post = (state_reg == L_Y1) || (state_reg == L_Y2) || (state_reg == L_Y3);
    wire [RULE_AW-1:0] rule = in_syn ? qe_rule : (in_post ? nl_rule : pl_rule);
    wire [PARAM_W-1:0] prm = rparam_mem[rule];
    wire signed [WEIGHT_BITS-1:0] wmin = prm[17 +: WEIGHT_BITS];
    wire signed [WEIGHT_BITS-1:0] wmax = prm[26 +: WEIGHT_BITS];
    // (decay, impulse) of x1, x2, y1, y2, y3 from bit 35, 19 bits each
    wire [DECAY_BITS-1:0] dec_x1 = prm[35 +: 12], dec_x2 = prm[54 +: 12], dec_y1 = prm[73 +: 12];
    wire [DECAY_BITS-1:0] dec_y2 = prm[92 +: 12], dec_y3 = prm[111 +: 12];
    wire [TRACE_BITS-1:0] imp_x1 = prm[47 +: 7], imp_x2 = prm[66 +: 7], imp_y1 = prm[85 +: 7];
    wire [TRACE_BITS-1:0] imp_y2 = prm[104 +: 7], imp_y3 = prm[123 +: 7];

    // epoch boundary of every rule: (t + 1) % epoch == 0  <=>  t mod epoch == epoch - 1
    wire [NRULES-1:0] bnd_vec;
    genvar gr;
    generate
        for (gr = 0; gr < NRULES; gr = gr + 1) begin : g_bnd
            wire [16:0] ep_m1 = rparam_mem[gr][16:0] - 17'd1;
            assign bnd_vec[gr] = ({1'b0, ph_reg[gr]} == ep_m1);
        end
    endgenerate
    wire bnd = bnd_vec[rule];

    wire [AXON_AW-1:0] x_addr = in_syn ? qe_row : pl_row;
    wire [XTR_W-1:0] xw = xtr_mem[x_addr];
    wire spk_pre = xspk_mem[pl_row];
    wire [NEURON_AW-1:0] y_addr = in_syn ? syn_target : nl_neu;
    wire [YTR_W-1:0] yw = ytr_mem[y_addr];
    wire [REWARD_BITS-1:0] rew = rew_mem[syn_target];
    wire plastic_pre = lrow_mem[pre_row][7];

    // ------------------------------------------------------------------ LFSR (fixed.lfsr_next, xorshift32)
    wire [31:0] lf1 = lfsr_reg ^ {lfsr_reg[18:0], 13'd0};
    wire [31:0] lf2 = lf1 ^ {17'd0, lf1[31:17]};
    wire [31:0] lfsr_nx = lf2 ^ {lf2[26:0], 5'd0};

    // ------------------------------------------------------------------ trace datapath (fixed.trace_step)
    // x <- min(((x * (4096 - d) + rnd) >> 12) + impulse * spiked, 127); evaluated in the register
    // process on the edge that ends a trace op (as rule_acc below)
    /* verilator lint_off UNUSEDSIGNAL */      // the 12 fraction bits of sum are shifted out
    function [TRACE_BITS-1:0] trace_step(input [TRACE_BITS-1:0] x, input [DECAY_BITS-1:0] d,
                                         input [TRACE_BITS-1:0] imp, input spk, input [11:0] rnd);
        reg [20:0] sum;
        reg [8:0] y;
        begin
            sum = {14'd0, x} * {8'd0, 13'd4096 - {1'b0, d}} + {9'd0, rnd};   // <= 127 * 4096 + 4095 < 2^20
            y = sum[20:12] + (spk ? {2'b00, imp} : 9'd0);
            trace_step = (y > 9'd127) ? {TRACE_BITS{1'b1}} : y[TRACE_BITS-1:0];
        end
    endfunction
    /* verilator lint_on UNUSEDSIGNAL */
    // the trace register of this op, its parameters and spike flag
    reg [TRACE_BITS-1:0] t_cur, t_imp;
    reg [DECAY_BITS-1:0] t_dec;
    reg t_spk;
    always @* begin
        case (state_reg)
            L_X2:    begin t_cur = xw[14:8];  t_dec = dec_x2; t_imp = imp_x2; t_spk = spk_reg; end
            L_Y1:    begin t_cur = yw[7:1];   t_dec = dec_y1; t_imp = imp_y1; t_spk = neu_spiked; end
            L_Y2:    begin t_cur = yw[14:8];  t_dec = dec_y2; t_imp = imp_y2; t_spk = spk_reg; end
            L_Y3:    begin t_cur = yw[21:15]; t_dec = dec_y3; t_imp = imp_y3; t_spk = spk_reg; end
            default: begin t_cur = xw[7:1];   t_dec = dec_x1; t_imp = imp_x1; t_spk = spk_pre; end
        endcase
    end
`ifdef MUTANT_SKIP_DRAW
    // planted defect for the mutation test: the x2 decay never draws (rounds down, the LFSR stays)
    wire t_draw = (t_cur != {TRACE_BITS{1'b0}}) && (state_reg != L_X2);
`else
    wire t_draw = (t_cur != {TRACE_BITS{1'b0}});              // a zero trace stays zero: no draw
`endif
`ifdef MUTANT_TRACE_TRUNC
    // planted defect for the mutation test: the decay truncates (the draw is made, its bits unused)
    wire [11:0] rnd12 = 12'd0;
    wire unused_mutant = &{1'b0, lfsr_nx[19:0]};
`else
    wire [11:0] rnd12 = t_draw ? lfsr_nx[31:20] : 12'd0;
    wire unused_mutant = &{1'b0, lfsr_nx[19:0]};
`endif

    // ------------------------------------------------------------------ rule interpreter (kernels.rule_acc)
    // the value (10-bit signed) of variable `code`: 0 the constant 1, then x0 x1 x2 y0 y1 y2 y3 w r
    // (x, y: the trace words without their bit 0, the x0 / y0 kept for the next timestep)
    function [9:0] var_val(input [3:0] code, input [XTR_W-1:1] x, input [YTR_W-1:1] y,
                           input [WEIGHT_BITS-1:0] w, input [REWARD_BITS-1:0] r);
        case (code)
            4'd0: var_val = 10'd1;
            4'd1: var_val = {9'd0, x[15]};                    // x0 of this timestep (x0e)
            4'd2: var_val = {3'd0, x[7:1]};
            4'd3: var_val = {3'd0, x[14:8]};
            4'd4: var_val = {9'd0, y[22]};                    // y0 of this timestep (y0e)
            4'd5: var_val = {3'd0, y[7:1]};
            4'd6: var_val = {3'd0, y[14:8]};
            4'd7: var_val = {3'd0, y[21:15]};
            4'd8: var_val = {w[WEIGHT_BITS-1], w};
            4'd9: var_val = {{(10 - REWARD_BITS){r[REWARD_BITS-1]}}, r};
            default: var_val = 10'd0;
        endcase
    endfunction

    // acc = sum_terms const * v[code0] * v[code1] * v[code2] * v[code3] << (8 + exp), 64 bits:
    // |const| <= 127 and |v| <= 256 keep a product below 2^39 (48-bit products never overflow)
    // and a shifted term below 2^54, so the sum of 8 is exact
    function [63:0] rule_acc(input [MAX_TERMS*TERM_W-1:0] prog, input [XTR_W-1:1] x, input [YTR_W-1:1] y,
                             input [WEIGHT_BITS-1:0] w, input [REWARD_BITS-1:0] r);
        integer ti, fi;
        reg [TERM_W-1:0] tw;
        reg [9:0] f;
        reg signed [47:0] m;
        begin
            rule_acc = 64'd0;
            for (ti = 0; ti < MAX_TERMS; ti = ti + 1) begin
                tw = prog[ti*TERM_W +: TERM_W];
                m = $signed({{40{tw[7]}}, tw[7:0]});          // const 0: an unused program row, adds 0
                for (fi = 0; fi < 4; fi = fi + 1) begin
                    f = var_val(tw[12 + 4*fi +: 4], x, y, w, r);
                    m = m * $signed({{38{f[9]}}, f});
                end
                rule_acc = rule_acc + ({{16{m[47]}}, m} << {~tw[11], tw[10:8]});   // << 8 + exp (-8 .. 7)
            end
        end
    endfunction

    // ------------------------------------------------------------------ weight (fixed.round_dw, apply_dw)
    // w <- clamp(w + ((acc + rnd8) >> 8), wmin, wmax); rnd8 only when acc has a fraction (a draw)
    function [WEIGHT_BITS-1:0] new_weight(input [63:0] acc, input [WEIGHT_BITS-1:0] w, input [WEIGHT_BITS-1:0] lo,
                                          input [WEIGHT_BITS-1:0] hi, input [7:0] rnd);
        reg signed [63:0] sum;
        begin
            sum = $signed(acc + {56'd0, (acc[7:0] != 8'd0) ? rnd : 8'd0}) >>> 8;     // dw: floor, negatives too
            sum = sum + $signed({{55{w[WEIGHT_BITS-1]}}, w});
            if (sum > $signed({{55{hi[WEIGHT_BITS-1]}}, hi})) new_weight = hi;
            else if (sum < $signed({{55{lo[WEIGHT_BITS-1]}}, lo})) new_weight = lo;
            else new_weight = sum[WEIGHT_BITS-1:0];
        end
    endfunction

    // the SYN op's program: the terms of the queued row's rule (read on the op's last edge only)
`define LU_PROG {rprog_mem[{qe_rule, 3'd7}], rprog_mem[{qe_rule, 3'd6}], rprog_mem[{qe_rule, 3'd5}], \
                 rprog_mem[{qe_rule, 3'd4}], rprog_mem[{qe_rule, 3'd3}], rprog_mem[{qe_rule, 3'd2}], \
                 rprog_mem[{qe_rule, 3'd1}], rprog_mem[{qe_rule, 3'd0}]}
`ifdef MUTANT_DW_FLOOR
    // planted defect for the mutation test: dw floors (the draw is made, its bits unused)
    wire [7:0] rnd8 = 8'd0;
`else
    wire [7:0] rnd8 = lfsr_nx[31:24];
`endif

    // ------------------------------------------------------------------ next-state process
    localparam integer LAST_T_I = C_TRACE_UPDATE - 1;
    localparam integer LAST_S_I = C_LEARN_SYNAPSE - 1;
    localparam integer LAST_E_I = (C_LEARN_EPOCH > 0) ? C_LEARN_EPOCH - 1 : 0;
    localparam [SUB_W-1:0] LAST_T = LAST_T_I[SUB_W-1:0];
    localparam [SUB_W-1:0] LAST_S = LAST_S_I[SUB_W-1:0];
    localparam [SUB_W-1:0] LAST_E = LAST_E_I[SUB_W-1:0];
    wire sub_last_t = (sub_reg == LAST_T);
    wire sub_last_s = (sub_reg == LAST_S);
    wire sub_last_e = (sub_reg == LAST_E);
    wire [SUB_W-1:0] sub_inc = sub_reg + 1'b1;
    wire [AXON_AW:0] pi_inc = pi_reg + 1'b1;
    wire [NEURON_AW:0] ni_inc = ni_reg + 1'b1;
    wire [15:0] j_inc = j_reg + 1'b1;
    wire x0e = xw[0] | spk_pre;                                // x0 of this timestep's rules
    wire y0e = yw[0] | neu_spiked;

    reg x_we, y_we, q_we, w_we, spk_clr, fin, to_c;
    always @* begin
        state_next = state_reg; sub_next = sub_reg; pi_next = pi_reg; ni_next = ni_reg; qn_next = qn_reg;
        q_next = q_reg; j_next = j_reg; jend_next = jend_reg; ep_next = ep_reg; spk_next = spk_reg;
        cyc_next = cyc_reg; nsyn_next = nsyn_reg; ntr_next = ntr_reg; nep_next = nep_reg;
        x_we = 1'b0; y_we = 1'b0; q_we = 1'b0; w_we = 1'b0; spk_clr = 1'b0; fin = 1'b0; to_c = 1'b0;

        case (state_reg)
            L_IDLE: begin       // the start of a learn phase, committed on `go` (register process)
                sub_next = {SUB_W{1'b0}}; pi_next = {(AXON_AW + 1){1'b0}}; ni_next = {(NEURON_AW + 1){1'b0}};
                qn_next = {(AXON_AW + 1){1'b0}}; ep_next = 1'b0;
                cyc_next = {CW{1'b0}}; nsyn_next = {CW{1'b0}}; ntr_next = {CW{1'b0}}; nep_next = 1'b0;
                state_next = (n_plist != {(AXON_AW + 1){1'b0}}) ? L_X1 : L_Y1;
            end
            L_X1, L_X2, L_Y1, L_Y2, L_Y3: begin                    // one trace register
                cyc_next = cyc_reg + 1'b1;
                sub_next = sub_inc;
                if (sub_last_t) begin
                    sub_next = {SUB_W{1'b0}}; ntr_next = ntr_reg + 1'b1;
                    case (state_reg)
                        L_X1: begin
                            x_we = 1'b1; spk_clr = 1'b1; spk_next = spk_pre;
                            if (bnd) begin
                                ep_next = 1'b1;
                                if (row_start != row_end) begin q_we = 1'b1; qn_next = qn_reg + 1'b1; end
                            end
                            state_next = L_X2;
                        end
                        L_X2: begin
                            x_we = 1'b1;
                            if (pi_inc != n_plist) begin pi_next = pi_inc; state_next = L_X1; end
                            else if (n_nlist != {(NEURON_AW + 1){1'b0}}) state_next = L_Y1;
                            else to_c = 1'b1;
                        end
                        L_Y1: begin
                            y_we = 1'b1; spk_next = neu_spiked; state_next = L_Y2;
                        end
                        L_Y2: begin
                            y_we = 1'b1; state_next = L_Y3;
                        end
                        default: begin                             // L_Y3
                            y_we = 1'b1;
                            if (ni_inc != n_nlist) begin ni_next = ni_inc; state_next = L_Y1; end
                            else to_c = 1'b1;
                        end
                    endcase
                end
            end
            L_EPOCH: begin                                         // fixed cost of the epoch
                cyc_next = cyc_reg + 1'b1;
                sub_next = sub_inc;
                if (sub_last_e) begin
                    sub_next = {SUB_W{1'b0}};
                    if (qn_reg != {(AXON_AW + 1){1'b0}}) begin
                        state_next = L_SYN; q_next = {(AXON_AW + 1){1'b0}}; j_next = qf_start; jend_next = qf_end;
                    end else fin = 1'b1;
                end
            end
            default: begin                                         // L_SYN: one plastic synapse
                cyc_next = cyc_reg + 1'b1;
                sub_next = sub_inc;
                if (sub_last_s) begin
                    sub_next = {SUB_W{1'b0}}; nsyn_next = nsyn_reg + 1'b1; w_we = 1'b1;
                    if (j_inc != jend_reg) j_next = j_inc;
                    else if (q_inc != qn_reg) begin q_next = q_inc; j_next = qf_start; jend_next = qf_end; end
                    else fin = 1'b1;
                end
            end
        endcase

        // end of phases A and B: the epoch's weight updates, or the end of the learn phase
        if (to_c) begin
            if (!ep_reg) fin = 1'b1;
            else begin
                nep_next = 1'b1;
                if (C_LEARN_EPOCH > 0) state_next = L_EPOCH;
                else if (qn_reg != {(AXON_AW + 1){1'b0}}) begin
                    state_next = L_SYN; q_next = {(AXON_AW + 1){1'b0}}; j_next = qf_start; jend_next = qf_end;
                end else fin = 1'b1;
            end
        end
        if (fin) state_next = L_IDLE;
    end

    // ------------------------------------------------------------------ register process
`ifndef SYNTHESIS
    reg [8*512-1:0] memdir;
    reg [8*600-1:0] fname;
    initial begin
        if (!$value$plusargs("NEUROEMU_MEMDIR=%s", memdir)) memdir = ".";
    end
    function integer last_word(input [31:0] count);
        last_word = (count == 32'd0) ? 0 : count - 1;
    endfunction
`endif
    integer k;
    always @(posedge clk) begin
        if (rst || load) begin
            state_reg <= L_IDLE; sub_reg <= {SUB_W{1'b0}}; pi_reg <= {(AXON_AW + 1){1'b0}};
            ni_reg <= {(NEURON_AW + 1){1'b0}}; qn_reg <= {(AXON_AW + 1){1'b0}}; q_reg <= {(AXON_AW + 1){1'b0}};
            j_reg <= 16'd0; jend_reg <= 16'd0; ep_reg <= 1'b0; spk_reg <= 1'b0;
            cyc_reg <= {CW{1'b0}}; nsyn_reg <= {CW{1'b0}}; ntr_reg <= {CW{1'b0}}; nep_reg <= 1'b0;
            wq_we_reg <= 1'b0; wq_addr_reg <= {SYN_AW{1'b0}}; wq_w_reg <= 9'd0;
`ifndef SYNTHESIS
            if (load) begin
                $sformat(fname, "%0s/p%0d/core%0d_lcfg.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, lcfg_mem);
                $sformat(fname, "%0s/p%0d/core%0d_lrow.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, lrow_mem, 0, last_word(lcfg_mem[0]));
                $sformat(fname, "%0s/p%0d/core%0d_reward.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, rew_mem, 0, last_word(lcfg_mem[1]));
                $sformat(fname, "%0s/p%0d/core%0d_plist.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, plist_mem, 0, last_word(lcfg_mem[2]));
                $sformat(fname, "%0s/p%0d/core%0d_nlist.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, nlist_mem, 0, last_word(lcfg_mem[3]));
                $sformat(fname, "%0s/p%0d/core%0d_rprog.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, rprog_mem, 0, last_word(lcfg_mem[4] * MAX_TERMS));
                $sformat(fname, "%0s/p%0d/core%0d_rparam.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, rparam_mem, 0, last_word(lcfg_mem[4]));
                for (k = 0; k < A_MAX; k = k + 1) begin
                    xtr_mem[k] <= {XTR_W{1'b0}};
                    xspk_mem[k] <= 1'b0;
                end
                for (k = 0; k < N_MAX; k = k + 1) ytr_mem[k] <= {YTR_W{1'b0}};
            end
`endif
            lfsr_reg <= lcfg_mem[5];
            for (k = 0; k < NRULES; k = k + 1) ph_reg[k] <= 16'd0;
        end else begin
            // idle, the registers hold (the last learn phase's counters stay readable) until `go`;
            // `go` is kept out of the next-state process, so `last` never depends on it
            if (state_reg != L_IDLE || go) begin
                state_reg <= state_next; sub_reg <= sub_next; pi_reg <= pi_next; ni_reg <= ni_next;
                qn_reg <= qn_next; q_reg <= q_next; j_reg <= j_next; jend_reg <= jend_next; ep_reg <= ep_next;
                spk_reg <= spk_next; cyc_reg <= cyc_next; nsyn_reg <= nsyn_next;
                ntr_reg <= ntr_next; nep_reg <= nep_next;
            end
            // the operation that ends in this cycle: a trace op draws for a non-zero trace; a SYN op
            // evaluates the rule program, draws for an accumulator with a fraction and writes the weight
            if ((x_we || y_we) && t_draw) lfsr_reg <= lfsr_nx;
            wq_we_reg <= w_we;
            if (w_we) begin
                wq_addr_reg <= j_reg[SYN_AW-1:0];
                wq_w_reg <= new_weight(rule_acc(`LU_PROG, xw[XTR_W-1:1], yw[YTR_W-1:1], syn_weight, rew), syn_weight,
                                       wmin, wmax, rnd8);
                if ((rule_acc(`LU_PROG, xw[XTR_W-1:1], yw[YTR_W-1:1], syn_weight, rew) & 64'hff) != 64'd0)
                    lfsr_reg <= lfsr_nx;
            end
            // memory write ports
            // X1 / Y1 also update x0 / y0: x0e = x0 | spiked for this timestep's rules, the kept value
            // cleared on the rule's epoch boundary
            if (x_we)
                xtr_mem[x_addr] <= (state_reg == L_X1)
                    ? {x0e, xw[14:8], trace_step(t_cur, t_dec, t_imp, t_spk, rnd12), bnd ? 1'b0 : x0e}
                    : {xw[15], trace_step(t_cur, t_dec, t_imp, t_spk, rnd12), xw[7:0]};
            if (y_we)
                case (state_reg)
                    L_Y1: ytr_mem[y_addr] <= {y0e, yw[21:8], trace_step(t_cur, t_dec, t_imp, t_spk, rnd12),
                                              bnd ? 1'b0 : y0e};
                    L_Y2: ytr_mem[y_addr] <= {yw[22:15], trace_step(t_cur, t_dec, t_imp, t_spk, rnd12), yw[7:0]};
                    default: ytr_mem[y_addr] <= {yw[22], trace_step(t_cur, t_dec, t_imp, t_spk, rnd12), yw[14:0]};
                endcase
            if (q_we) que_mem[qn_reg[AXON_AW-1:0]] <= {rule, row_end, row_start, pl_row};
            if (spk_clr) xspk_mem[pl_row] <= 1'b0;
            if (pre_valid && plastic_pre) xspk_mem[pre_row] <= 1'b1;     // deliver and learn never overlap
            // end of the learn phase: every rule's phase advances (t mod epoch)
            if (fin)
                for (k = 0; k < NRULES; k = k + 1) ph_reg[k] <= bnd_vec[k] ? 16'd0 : ph_reg[k] + 16'd1;
        end
    end

    // ------------------------------------------------------------------ outputs
    assign last = fin;
    assign row_addr = pl_row;
    assign neu_addr = nl_neu;
    assign syn_addr = j_reg[SYN_AW-1:0];
    assign syn_we = wq_we_reg;
    assign syn_waddr = wq_addr_reg;
    assign syn_wdata = wq_w_reg;

    genvar gd;
    generate
        for (gd = 0; gd < 8; gd = gd + 1) begin : g_dbg_x
            localparam [AXON_AW-1:0] OFF = gd;
            wire [XTR_W-1:0] dx = xtr_mem[dbg_addr[AXON_AW-1:0] + OFF];
            assign dbg_xtr[gd*15 +: 15] = dx[14:0];
            wire unused_dx = dx[15];
        end
        for (gd = 0; gd < 5; gd = gd + 1) begin : g_dbg_y
            localparam [NEURON_AW-1:0] OFF = gd;
            wire [YTR_W-1:0] dy = ytr_mem[dbg_addr[NEURON_AW-1:0] + OFF];
            assign dbg_ytr[gd*22 +: 22] = dy[21:0];
            wire unused_dy = dy[22];
        end
    endgenerate
    assign dbg_ctr = (dbg_addr[2:0] == 3'd0) ? cyc_reg
                   : (dbg_addr[2:0] == 3'd1) ? nsyn_reg
                   : (dbg_addr[2:0] == 3'd2) ? ntr_reg
                   : (dbg_addr[2:0] == 3'd3) ? {{(CW - 1){1'b0}}, nep_reg}
                   : (dbg_addr[2:0] == 3'd4) ? lfsr_reg : {CW{1'b0}};

    // fields this build does not use (wider table words, debug address bits, the neuron field of nlist)
    wire unused_ok = &{1'b0, pl, nl, qe, qf[AXON_AW-1:0], qf[QUE_W-1:AXON_AW + 32], prm[16:0],
                       dbg_addr, lrow_mem[pre_row][6:0], unused_mutant, lcfg_mem[4],
                       lcfg_mem[6], lcfg_mem[7]};

endmodule

`undef LU_PROG
`default_nettype wire
