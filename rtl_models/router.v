// router: one 5-port XY mesh router -- input FIFOs, round-robin output arbiters, credit backpressure.
//
// Model: emulator/router/cycle.py (the cycle-accurate kernel) and docs/router.md, cycle for cycle.
// Ports are numbered as emulator/router/mesh.py: N = 0 (to/from y + 1), E = 1 (x + 1),
// S = 2 (y - 1), W = 3 (x - 1), L = 4 (the local core). Cycle t is the clock period whose
// registers hold the state of model cycle t:
//   1. land / 2. inject: a packet the sender writes (in_valid) at the edge that ends cycle t - 1
//      is in its input FIFO in cycle t, and can be granted in cycle t;
//   3. arbitrate: every output o grants one input whose FIFO head routes to o (dimension order:
//      E if xd > X, W if xd < X, else N if yd > Y, S if yd < Y, else L), round robin from the
//      input after the one o granted last (every pointer starts as if L had been granted);
//      a mesh output grants only while its credit counter -- packets sent to the neighbour's
//      FIFO and not yet popped there -- is below DEPTH; L never blocks (the core buffers);
//   4. the granted head leaves its FIFO at the edge that ends t (in_pop[p] is high in cycle t:
//      the sender's credit for that slot counts from cycle t + 1 on) and is on out_valid/out_flit
//      in cycle t + LATENCY - 1, so the receiver writes it at the edge that ends that cycle: it
//      is in the next FIFO -- or the core's event FIFO -- in cycle t + LATENCY.
// A lone packet in a FIFO in cycle s, h routers before the one of its destination core, thus
// reaches the core in cycle s + (h + 1) * LATENCY. Sources (core, host) inject through in_valid
// while in_ready is high: in_ready[p] = the FIFO holds fewer than DEPTH packets after this
// cycle's pop, the model's "credit as of the end of cycle t - 1" for a write that lands in t.
//
// A packet is one flit {payload, yd, xd}: the destination router's column (XW bits, LSB) and
// row, and PW payload bits that the router carries unchanged.
`timescale 1ns / 1ps
`default_nettype none

module router #(
    parameter integer X = 0,            // this router's mesh column (x)
    parameter integer Y = 0,            // this router's mesh row (y)
    parameter integer XW = 1,           // bits of a flit's destination column (>= 1)
    parameter integer YW = 1,           // bits of a flit's destination row (>= 1)
    parameter integer PW = 8,           // payload bits carried unchanged (routing ignores them)
    parameter integer DEPTH = 4,        // packets per input FIFO (chip.router.fifo_depth), 1 .. 256
    parameter integer LATENCY = 2       // cycles from a grant to the next FIFO or the core (chip.router.hop_latency), 1 .. 64
) (
    input  wire                 clk,
    input  wire                 rst,         // synchronous, active high: empty FIFOs, pointers at L
    // input ports N, E, S, W, L: p at bits [p] / [p*FW +: FW]
    input  wire [4:0]           in_valid,    // write in_flit[p] into FIFO p at this edge (sender checked credit)
    input  wire [5*FW-1:0]      in_flit,
    output wire [4:0]           in_ready,    // FIFO p can take a write at this edge (for injecting sources)
    output wire [4:0]           in_pop,      // FIFO p sends its head this cycle (credit back to the sender)
    // output ports N, E, S, W, L
    input  wire [3:0]           out_free,    // the neighbour's FIFO behind mesh output o pops this cycle
    output wire [4:0]           out_valid,   // the packet granted LATENCY - 1 cycles ago leaves on o now
    output wire [5*FW-1:0]      out_flit,
    output wire                 idle         // no packet in a FIFO or on the way out
);

    localparam integer FW = PW + YW + XW;                     // flit width
    localparam integer PTR_W = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam integer CNT_W = (DEPTH > 0) ? $clog2(DEPTH + 1) : 1;   // 0 .. DEPTH
    localparam [2:0] P_N = 3'd0, P_E = 3'd1, P_S = 3'd2, P_W = 3'd3, P_L = 3'd4;
    localparam [XW-1:0] XP = X[XW-1:0];
    localparam [YW-1:0] YP = Y[YW-1:0];
    localparam [CNT_W-1:0] DEPTH_C = DEPTH[CNT_W-1:0];
    localparam integer LAST_PTR_I = DEPTH - 1;
    localparam [PTR_W-1:0] LAST_PTR = LAST_PTR_I[PTR_W-1:0];

    initial begin
        if (XW < 1 || YW < 1 || PW < 1 || DEPTH < 1 || DEPTH > 256 || LATENCY < 1 || LATENCY > 64
            || X < 0 || Y < 0 || X >= (1 << XW) || Y >= (1 << YW)) begin
            $display("ERROR: router %m: illegal parameters (XW, YW, PW >= 1, DEPTH 1..256, LATENCY 1..64, X, Y fit XW, YW)");
            $finish;
        end
    end

    // ------------------------------------------------------------------ round-robin choice
    // the first requesting input after `last`: (last + 1) mod 5, (last + 2) mod 5, ...
    // (cycle.py::_round_robin)
    function [2:0] rr_pick(input [4:0] req, input [2:0] last);
        integer i, k;
        reg found;
        begin
            rr_pick = P_L;
            found = 1'b0;
            for (i = 1; i <= 5; i = i + 1) begin
                k = {29'd0, last} + i;
                if (k >= 5) k = k - 5;
                if (!found && req[k]) begin
                    rr_pick = k[2:0];
                    found = 1'b1;
                end
            end
        end
    endfunction

    // ------------------------------------------------------------------ registers (flat: field of port p at [p*w +: w])
    reg [5*PTR_W-1:0] rd_reg, rd_next;       // FIFO read pointers
    reg [5*PTR_W-1:0] wr_reg, wr_next;       // FIFO write pointers
    reg [5*CNT_W-1:0] cnt_reg, cnt_next;     // packets in each FIFO
    reg [14:0]        last_reg, last_next;   // per output: the input it granted last
    reg [4*CNT_W-1:0] used_reg, used_next;   // per mesh output: credit in use (in flight + in the neighbour's FIFO)

    // ------------------------------------------------------------------ FIFO heads and their routes
    wire [5*FW-1:0] head;
    wire [14:0]     head_port;           // 3 bits per input: the output its head wants
    wire [4:0]      has;                 // FIFO p is not empty
    reg [FW-1:0] mem [0:5*DEPTH-1];      // FIFO p in words p*DEPTH .. p*DEPTH + DEPTH - 1
    wire [5*32-1:0] wr_addr;             // per input: the word its next write goes to
    genvar gp;
    generate
        for (gp = 0; gp < 5; gp = gp + 1) begin : g_in
            localparam [31:0] BASE = gp * DEPTH;
            wire [FW-1:0] h = mem[BASE + {{(32 - PTR_W){1'b0}}, rd_reg[gp*PTR_W +: PTR_W]}];
            assign wr_addr[gp*32 +: 32] = BASE + {{(32 - PTR_W){1'b0}}, wr_reg[gp*PTR_W +: PTR_W]};
            // signed distances to the destination: no constant comparison at the mesh edges
            wire signed [XW+1:0] dx = $signed({2'b00, h[XW-1:0]}) - $signed({2'b00, XP});
            wire signed [YW+1:0] dy = $signed({2'b00, h[XW +: YW]}) - $signed({2'b00, YP});
            assign head[gp*FW +: FW] = h;
            assign has[gp] = (cnt_reg[gp*CNT_W +: CNT_W] != {CNT_W{1'b0}});
            assign head_port[gp*3 +: 3] = (dx > 0) ? P_E : (dx < 0) ? P_W : (dy > 0) ? P_N : (dy < 0) ? P_S : P_L;
        end
    endgenerate

    // ------------------------------------------------------------------ arbitration (combinational)
    // computed into *_c, then assigned once: the logic downstream sees no intermediate value
    reg [4:0]      gnt, gnt_c;           // output o grants this cycle
    reg [14:0]     gnt_in, gnt_in_c;     // 3 bits per output: the input it grants
    reg [4:0]      pop, pop_c;           // input p's head leaves this cycle
    reg [5*FW-1:0] gnt_flit, gnt_flit_c; // the packet each output sends
    reg [4:0]      req;
    integer o, p;
    always @* begin
        pop_c = 5'd0;
        gnt_c = 5'd0;
        gnt_in_c = 15'd0;
        gnt_flit_c = {(5 * FW){1'b0}};
        req = 5'd0;
        for (o = 0; o < 5; o = o + 1) begin
            for (p = 0; p < 5; p = p + 1)
                req[p] = has[p] && (head_port[p*3 +: 3] == o[2:0]);
`ifdef MUTANT_NOC_FIXED_PRIORITY
            gnt_in_c[o*3 +: 3] = rr_pick(req, P_L);          // planted defect: fixed priority N, E, S, W, L
`else
            gnt_in_c[o*3 +: 3] = rr_pick(req, last_reg[o*3 +: 3]);
`endif
            // backpressure: a mesh output waits for credit; every requester of it waits
            gnt_c[o] = (req != 5'd0) && (o == 4 || used_reg[(o % 4)*CNT_W +: CNT_W] != DEPTH_C);
            if (gnt_c[o]) begin
                pop_c[gnt_in_c[o*3 +: 3]] = 1'b1;
                gnt_flit_c[o*FW +: FW] = head[gnt_in_c[o*3 +: 3]*FW +: FW];
            end
        end
        gnt = gnt_c;
        gnt_in = gnt_in_c;
        pop = pop_c;
        gnt_flit = gnt_flit_c;
    end

    // ------------------------------------------------------------------ next state and registers
    localparam [CNT_W-1:0] ONE = 1;
    localparam [PTR_W-1:0] PONE = 1;
    integer q;
    always @* begin
        rd_next = rd_reg; wr_next = wr_reg; cnt_next = cnt_reg; last_next = last_reg; used_next = used_reg;
        for (q = 0; q < 5; q = q + 1) begin
            if (pop[q])
                rd_next[q*PTR_W +: PTR_W] = (rd_reg[q*PTR_W +: PTR_W] == LAST_PTR) ? {PTR_W{1'b0}} : rd_reg[q*PTR_W +: PTR_W] + PONE;
            if (in_valid[q])
                wr_next[q*PTR_W +: PTR_W] = (wr_reg[q*PTR_W +: PTR_W] == LAST_PTR) ? {PTR_W{1'b0}} : wr_reg[q*PTR_W +: PTR_W] + PONE;
            if (in_valid[q] && !pop[q]) cnt_next[q*CNT_W +: CNT_W] = cnt_reg[q*CNT_W +: CNT_W] + ONE;
            if (pop[q] && !in_valid[q]) cnt_next[q*CNT_W +: CNT_W] = cnt_reg[q*CNT_W +: CNT_W] - ONE;
            if (gnt[q]) last_next[q*3 +: 3] = gnt_in[q*3 +: 3];
        end
        for (q = 0; q < 4; q = q + 1) begin
            if (gnt[q] && !out_free[q]) used_next[q*CNT_W +: CNT_W] = used_reg[q*CNT_W +: CNT_W] + ONE;
            if (out_free[q] && !gnt[q]) used_next[q*CNT_W +: CNT_W] = used_reg[q*CNT_W +: CNT_W] - ONE;
        end
    end

    // the state changes only with a write, a grant or a credit return (a quiet router does no work:
    // simulators evaluate this block every cycle)
    wire active = (in_valid != 5'd0) || (gnt != 5'd0) || (out_free != 4'd0);
    wire [4:0] full;
    generate
        for (gp = 0; gp < 5; gp = gp + 1) begin : g_full
            assign full[gp] = (cnt_reg[gp*CNT_W +: CNT_W] == DEPTH_C) && !pop[gp];
        end
    endgenerate
    always @(posedge clk) begin
        if (rst) begin
            rd_reg <= {(5 * PTR_W){1'b0}}; wr_reg <= {(5 * PTR_W){1'b0}}; cnt_reg <= {(5 * CNT_W){1'b0}};
            last_reg <= {5{P_L}}; used_reg <= {(4 * CNT_W){1'b0}};
        end else if (active) begin
            rd_reg <= rd_next; wr_reg <= wr_next; cnt_reg <= cnt_next; last_reg <= last_next; used_reg <= used_next;
            if (in_valid[0]) mem[wr_addr[0*32 +: 32]] <= in_flit[0*FW +: FW];
            if (in_valid[1]) mem[wr_addr[1*32 +: 32]] <= in_flit[1*FW +: FW];
            if (in_valid[2]) mem[wr_addr[2*32 +: 32]] <= in_flit[2*FW +: FW];
            if (in_valid[3]) mem[wr_addr[3*32 +: 32]] <= in_flit[3*FW +: FW];
            if (in_valid[4]) mem[wr_addr[4*32 +: 32]] <= in_flit[4*FW +: FW];
`ifndef SYNTHESIS
            if ((in_valid & full) != 5'd0)
                $display("ERROR: router %m: inputs %b written while full (a sender ignored its credit)", in_valid & full);
`endif
        end
    end

    // ------------------------------------------------------------------ the hop latency: LATENCY - 1 register stages
    generate
        if (LATENCY == 1) begin : g_lat1
            assign out_valid = gnt;
            assign out_flit = gnt_flit;
            assign idle = (has == 5'd0);
        end else if (LATENCY == 2) begin : g_lat2
            reg [4:0]      v_reg;                     // granted last cycle
            reg [5*FW-1:0] f_reg;
            always @(posedge clk) begin
                if (rst) begin
                    v_reg <= 5'd0;
                    f_reg <= {(5 * FW){1'b0}};
                end else if (gnt != 5'd0 || v_reg != 5'd0) begin
                    v_reg <= gnt;
                    f_reg <= gnt_flit;
                end
            end
            assign out_valid = v_reg;
            assign out_flit = f_reg;
            assign idle = (has == 5'd0) && (v_reg == 5'd0);
        end else begin : g_pipe
            localparam integer ST = LATENCY - 1;       // stages; stage 0 = granted last cycle
            reg [ST*5-1:0]    v_reg;                  // stage s at [s*5 +: 5]
            reg [ST*5*FW-1:0] f_reg;
            always @(posedge clk) begin
                if (rst) begin
                    v_reg <= {(ST * 5){1'b0}};
                    f_reg <= {(ST * 5 * FW){1'b0}};
                end else if (gnt != 5'd0 || v_reg != {(ST * 5){1'b0}}) begin
                    v_reg <= {v_reg[(ST-1)*5-1:0], gnt};
                    f_reg <= {f_reg[(ST-1)*5*FW-1:0], gnt_flit};
                end
            end
            assign out_valid = v_reg[(ST-1)*5 +: 5];
            assign out_flit = f_reg[(ST-1)*5*FW +: 5*FW];
            assign idle = (has == 5'd0) && (v_reg == {(ST * 5){1'b0}});
        end
    endgenerate

    assign in_pop = pop;
    genvar gr;
    generate
        for (gr = 0; gr < 5; gr = gr + 1) begin : g_ready
            assign in_ready[gr] = (cnt_reg[gr*CNT_W +: CNT_W] != DEPTH_C) || pop[gr];
        end
    endgenerate

endmodule

`default_nettype wire
