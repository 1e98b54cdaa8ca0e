// mesh: a W x H mesh of 5-port XY routers (router.v), with an injection and an ejection port per
// router (its core) and the host's injection port.
//
// Model: emulator/router/cycle.py on emulator/router/mesh.py's geometry: router r sits at
// (x, y) = (r mod W, r div W); its mesh output o feeds the neighbour's input on the opposite side
// (N <-> S, E <-> W), and the neighbour returns a credit in every cycle its FIFO pops (out_free).
// Core r injects through router r's local input (L); the host through the west input of router
// (0, 0), an edge port no neighbour uses. Mesh-edge outputs are never requested (XY routes stay
// inside the mesh) and have no credit return.
//
// Injection (core and host ports): a packet offered with *_valid in cycle t - 1 while *_ready is
// high is written at the edge that ends t - 1 and is in the router's FIFO in cycle t (the model's
// inject of cycle t); while *_ready is low the sender holds the packet (backpressure). The
// destination router index is split into its column and row here, once.
// Ejection: ej_valid[r] is high in cycle t + LATENCY - 1 for a packet router r granted on L in
// cycle t; the core writes it at the edge that ends that cycle, so it arrives in cycle
// t + LATENCY (the model's arrival). `empty`: no packet in any FIFO or link.
`timescale 1ns / 1ps
`default_nettype none

module mesh #(
    parameter integer W = 2,            // routers per row (chip mesh width)
    parameter integer H = 2,            // rows (chip mesh height); W * H <= 255
    parameter integer PW = 8,           // payload bits of a packet (carried unchanged)
    parameter integer DEPTH = 4,        // packets per router input FIFO (chip.router.fifo_depth)
    parameter integer LATENCY = 2       // cycles per hop (chip.router.hop_latency)
) (
    input  wire                 clk,
    input  wire                 rst,          // synchronous, active high
    // injection from the core of each router
    input  wire [W*H-1:0]       inj_valid,
    input  wire [W*H*8-1:0]     inj_dst,      // destination router (= core) index
    input  wire [W*H*PW-1:0]    inj_data,
    output wire [W*H-1:0]       inj_ready,
    // injection from the host (west input of router 0)
    input  wire                 host_valid,
    input  wire [7:0]           host_dst,
    input  wire [PW-1:0]        host_data,
    output wire                 host_ready,
    // ejection into the core of each router
    output wire [W*H-1:0]       ej_valid,
    output wire [W*H*PW-1:0]    ej_data,
    output wire                 empty
);

    localparam integer R = W * H;
    localparam integer XW = (W > 1) ? $clog2(W) : 1;
    localparam integer YW = (H > 1) ? $clog2(H) : 1;
    localparam integer FW = PW + YW + XW;
    localparam [7:0] W8 = W[7:0];

    initial begin
        if (W < 1 || H < 1 || W * H > 255) begin
            $display("ERROR: mesh %m: illegal parameters (W, H >= 1, W * H <= 255)");
            $finish;
        end
    end

    // every router's ports, flat: router r's port p at [(r*5 + p)*... ]
    wire [R*5-1:0]    rt_in_valid, rt_in_ready, rt_in_pop, rt_out_valid;
    wire [R*5*FW-1:0] rt_in_flit, rt_out_flit;
    wire [R*4-1:0]    rt_out_free;
    wire [R-1:0]      rt_idle;

    genvar r;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_rt
            localparam integer X = r % W;
            localparam integer Y = r / W;
            // N input <- router r + W's S output; E <- r + 1's W; S <- r - W's N; W <- r - 1's E (or the host)
            if (Y < H - 1) begin : g_n
                assign rt_in_valid[r*5 + 0] = rt_out_valid[(r + W)*5 + 2];
                assign rt_in_flit[(r*5 + 0)*FW +: FW] = rt_out_flit[((r + W)*5 + 2)*FW +: FW];
                assign rt_out_free[r*4 + 0] = rt_in_pop[(r + W)*5 + 2];
            end else begin : g_n_edge
                assign rt_in_valid[r*5 + 0] = 1'b0;
                assign rt_in_flit[(r*5 + 0)*FW +: FW] = {FW{1'b0}};
                assign rt_out_free[r*4 + 0] = 1'b0;
            end
            if (X < W - 1) begin : g_e
                assign rt_in_valid[r*5 + 1] = rt_out_valid[(r + 1)*5 + 3];
                assign rt_in_flit[(r*5 + 1)*FW +: FW] = rt_out_flit[((r + 1)*5 + 3)*FW +: FW];
                assign rt_out_free[r*4 + 1] = rt_in_pop[(r + 1)*5 + 3];
            end else begin : g_e_edge
                assign rt_in_valid[r*5 + 1] = 1'b0;
                assign rt_in_flit[(r*5 + 1)*FW +: FW] = {FW{1'b0}};
                assign rt_out_free[r*4 + 1] = 1'b0;
            end
            if (Y > 0) begin : g_s
                assign rt_in_valid[r*5 + 2] = rt_out_valid[(r - W)*5 + 0];
                assign rt_in_flit[(r*5 + 2)*FW +: FW] = rt_out_flit[((r - W)*5 + 0)*FW +: FW];
                assign rt_out_free[r*4 + 2] = rt_in_pop[(r - W)*5 + 0];
            end else begin : g_s_edge
                assign rt_in_valid[r*5 + 2] = 1'b0;
                assign rt_in_flit[(r*5 + 2)*FW +: FW] = {FW{1'b0}};
                assign rt_out_free[r*4 + 2] = 1'b0;
            end
            if (X > 0) begin : g_w
                assign rt_in_valid[r*5 + 3] = rt_out_valid[(r - 1)*5 + 1];
                assign rt_in_flit[(r*5 + 3)*FW +: FW] = rt_out_flit[((r - 1)*5 + 1)*FW +: FW];
                assign rt_out_free[r*4 + 3] = rt_in_pop[(r - 1)*5 + 1];
            end else if (r == 0) begin : g_w_host
                // destination router -> column and row
                wire [7:0] col = host_dst % W8;
                wire [7:0] row = host_dst / W8;
                wire unused_ok = &{1'b0, col, row};      // bits above XW, YW are zero for a valid index
                assign rt_in_valid[r*5 + 3] = host_valid && rt_in_ready[r*5 + 3];
                assign rt_in_flit[(r*5 + 3)*FW +: FW] = {host_data, row[YW-1:0], col[XW-1:0]};
                assign rt_out_free[r*4 + 3] = 1'b0;
            end else begin : g_w_edge
                assign rt_in_valid[r*5 + 3] = 1'b0;
                assign rt_in_flit[(r*5 + 3)*FW +: FW] = {FW{1'b0}};
                assign rt_out_free[r*4 + 3] = 1'b0;
            end
            // L: the core
            wire [7:0] col = inj_dst[r*8 +: 8] % W8;
            wire [7:0] row = inj_dst[r*8 +: 8] / W8;
            wire unused_ok = &{1'b0, col, row};
            assign rt_in_valid[r*5 + 4] = inj_valid[r] && rt_in_ready[r*5 + 4];
            assign rt_in_flit[(r*5 + 4)*FW +: FW] = {inj_data[r*PW +: PW], row[YW-1:0], col[XW-1:0]};
            assign inj_ready[r] = rt_in_ready[r*5 + 4];
            assign ej_valid[r] = rt_out_valid[r*5 + 4];
            assign ej_data[r*PW +: PW] = rt_out_flit[(r*5 + 4)*FW + XW + YW +: PW];

            router #(
                .X(X), .Y(Y), .XW(XW), .YW(YW), .PW(PW), .DEPTH(DEPTH), .LATENCY(LATENCY)
            ) u_router (
                .clk(clk), .rst(rst),
                .in_valid(rt_in_valid[r*5 +: 5]), .in_flit(rt_in_flit[r*5*FW +: 5*FW]),
                .in_ready(rt_in_ready[r*5 +: 5]), .in_pop(rt_in_pop[r*5 +: 5]),
                .out_free(rt_out_free[r*4 +: 4]), .out_valid(rt_out_valid[r*5 +: 5]),
                .out_flit(rt_out_flit[r*5*FW +: 5*FW]), .idle(rt_idle[r])
            );
        end
    endgenerate

    assign host_ready = rt_in_ready[3];
    assign empty = &rt_idle;

    // mesh-input readiness is credit-based (the sender's counter); the ejected flits' coordinates,
    // the mesh-edge outputs and (on a 1 x 1 mesh) the credit returns are not needed
    wire unused_ok = &{1'b0, rt_in_ready, rt_in_pop, rt_out_valid, rt_out_flit};

endmodule

`default_nettype wire
