%% @doc Cluster discovery through the local epmdx daemon.
%%
%% epmdx daemons share their hosts' registrations (peer sync), so the
%% daemon on this host knows every node of the cluster, on every host.
%% This module asks it, over the same TCP port the node already uses for
%% its port mapper (the `-epmd_port' argument or `ERL_EPMD_PORT', else
%% 4369), and connects to what it finds: the `net_adm:world/0' of epmdx,
%% without a `.hosts.erlang' file.
%%
%% Usable as is from Elixir: `:epmdx.connect()'.
%%
%% The requests are epmdx's own (see epmdxctl(1) and epmdx-sync(7)):
%% CLUSTER (202) answers one tab-separated line per node,
%% `name host port high low age origin', then closes; RESOLVE (203) takes
%% `name@host' and answers as PORT_PLEASE2 does, followed (when found) by
%% `[AddrLen:1][Address]', the address of the host the node runs on.  The
%% daemon answers them to local clients only.  Stock epmd does not know
%% them and closes the connection with no reply: the functions then
%% return `{error, not_epmdx}' (an epmdx reply is never empty: an empty
%% CLUSTER reply is checked with STATUS, whose reply never is).
-module(epmdx).

-export([cluster/0, cluster/1, nodes/0, connect/0, resolve/1, resolve/2,
         resolve_address/1, resolve_address/2, lookup/2, watch_line/1,
         epmd_port/0]).

-export_type([entry/0, options/0]).

-define(STATUS_REQ, 200).
-define(CLUSTER_REQ, 202).
-define(RESOLVE_REQ, 203).
-define(PORT2_RESP, 119).
-define(DEFAULT_PORT, 4369).
-define(TIMEOUT, 5000).

-type entry() :: #{name := binary(), host := binary(),
                   port := inet:port_number(), node := node(),
                   origin := binary()}.
%% One node of the cluster.  `origin' is `<<"local">>' for this host's
%% own nodes, else the address of the daemon that announced it.

-type options() :: #{address => inet:socket_address() | inet:hostname(),
                     port => inet:port_number(),
                     timeout => timeout()}.
%% Where the daemon is (default 127.0.0.1 at the node's epmd port) and how
%% long one request may take in all, in milliseconds (default 5000).

%% @doc Every node the local daemon knows, on this host and the others:
%% `cluster(#{})'.
-spec cluster() -> {ok, [entry()]} | {error, term()}.
cluster() ->
    cluster(#{}).

%% @doc Every node the daemon described by `Opts' knows.
-spec cluster(options()) -> {ok, [entry()]} | {error, term()}.
cluster(Opts) when is_map(Opts) ->
    case request(<<?CLUSTER_REQ>>, Opts) of
        {ok, <<>>} ->
            case request(<<?STATUS_REQ>>, Opts) of
                {ok, <<>>} -> {error, not_epmdx};
                {ok, _} -> {ok, []};
                {error, _} = Error -> Error
            end;
        {ok, Reply} ->
            {ok, [E || Line <- binary:split(Reply, <<"\n">>, [global]),
                       {ok, E} <- [parse_line(Line)]]};
        {error, _} = Error ->
            Error
    end.

%% @doc The names of the cluster's nodes, this node excepted.
%%
%% Raises `error({epmdx, Reason})' when the daemon cannot be asked.
-spec nodes() -> [node()].
nodes() ->
    case cluster() of
        {ok, Entries} ->
            Me = node(),
            lists:usort([N || #{node := N} <- Entries, N =/= Me]);
        {error, Reason} ->
            error({epmdx, Reason})
    end.

%% @doc Connect to every other node of the cluster; return those connected.
%%
%% Like `net_adm:world/0': each node is tried with
%% `net_kernel:connect_node/1', one after the other.  Nodes already
%% connected count as connected.  Needs a distributed node; raises
%% `error({epmdx, Reason})' when the daemon cannot be asked.
-spec connect() -> [node()].
connect() ->
    [N || N <- ?MODULE:nodes(), net_kernel:connect_node(N) =:= true].

%% @doc The distribution port of `Node' according to the local daemon:
%% `resolve(Node, #{})'.
-spec resolve(node() | string() | binary()) ->
          {ok, inet:port_number()} | {error, not_found | term()}.
resolve(Node) ->
    resolve(Node, #{}).

%% @doc The distribution port of `Node' according to the daemon in `Opts'.
-spec resolve(node() | string() | binary(), options()) ->
          {ok, inet:port_number()} | {error, not_found | term()}.
resolve(Node, Opts) when is_atom(Node) ->
    resolve(atom_to_binary(Node, utf8), Opts);
resolve(Node, Opts) when is_list(Node) ->
    resolve(unicode:characters_to_binary(Node), Opts);
resolve(Node, Opts) ->
    case resolve_address(Node, Opts) of
        {ok, {_Address, Port}} -> {ok, Port};
        {error, {no_address, Port}} -> {ok, Port};
        {error, _} = Error -> Error
    end.

%% @doc The address of the host `Node' runs on and its distribution port,
%% according to the local daemon: `resolve_address(Node, #{})'.
-spec resolve_address(node() | string() | binary()) ->
          {ok, {inet:ip_address() | string(), inet:port_number()}} |
          {error, not_found | term()}.
resolve_address(Node) ->
    resolve_address(Node, #{}).

%% @doc The address and port of `Node' according to the daemon in `Opts'.
%% The address is an IP address tuple when the daemon gives a literal,
%% else the host name it gives.  A daemon too old to send the address:
%% `{error, {no_address, Port}}'.
-spec resolve_address(node() | string() | binary(), options()) ->
          {ok, {inet:ip_address() | string(), inet:port_number()}} |
          {error, not_found | term()}.
resolve_address(Node, Opts) when is_atom(Node) ->
    resolve_address(atom_to_binary(Node, utf8), Opts);
resolve_address(Node, Opts) when is_list(Node) ->
    resolve_address(unicode:characters_to_binary(Node), Opts);
resolve_address(Node, Opts) when is_binary(Node), is_map(Opts) ->
    case lookup(Node, Opts) of
        {ok, #{address := none, port := Port}} -> {error, {no_address, Port}};
        {ok, #{address := Address, port := Port}} -> {ok, {Address, Port}};
        {error, _} = Error -> Error
    end.

%% @doc Everything the daemon in `Opts' says of `Node' (a RESOLVE): its
%% port, the highest and lowest distribution versions it speaks, and the
%% address of its host (`none' when the daemon does not know it or is too
%% old to say).  `epmdx_epmd' resolves nodes with this.
-spec lookup(node() | string() | binary(), options()) ->
          {ok, #{port := inet:port_number(), high := non_neg_integer(),
                 low := non_neg_integer(),
                 address := inet:ip_address() | string() | none}} |
          {error, not_found | not_epmdx | term()}.
lookup(Node, Opts) when is_atom(Node) ->
    lookup(atom_to_binary(Node, utf8), Opts);
lookup(Node, Opts) when is_list(Node) ->
    lookup(unicode:characters_to_binary(Node), Opts);
lookup(Node, Opts) when is_binary(Node), is_map(Opts) ->
    case request(<<?RESOLVE_REQ, Node/binary>>, Opts) of
        {ok, <<?PORT2_RESP, 0, Port:16, _Type, _Proto, High:16, Low:16,
               NLen:16, _Name:NLen/binary, ELen:16, _Extra:ELen/binary,
               Rest/binary>>} ->
            Address = case Rest of
                          <<ALen, Addr:ALen/binary, _/binary>>
                            when ALen > 0, Addr =/= <<"-">> ->
                              to_address(Addr);
                          _ ->
                              none
                      end,
            {ok, #{port => Port, high => High, low => Low,
                   address => Address}};
        {ok, <<?PORT2_RESP, Result, _/binary>>} when Result =/= 0 ->
            {error, not_found};
        {ok, <<>>} ->
            {error, not_epmdx};
        {ok, Other} ->
            {error, {bad_reply, Other}};
        {error, _} = Error ->
            Error
    end.

%% @doc One line of a WATCH stream (request 206, see epmdxctl(1)), without
%% its newline: `{add, Entry}' for a `+' line (Entry as in `cluster/0',
%% plus `address', `type', `high' and `low'), `{remove, Node}' for `-', `synced'
%% for the `=' that ends the first table, `{closed, Reason}' for `!', and
%% `ignore' for a line of a kind this module does not know.
-spec watch_line(binary()) ->
          {add, map()} | {remove, node()} | synced | {closed, binary()} |
          ignore.
watch_line(Line) ->
    case binary:split(Line, <<"\t">>, [global]) of
        [<<"+">>, Name, Host, Port, Type, _Proto, High, Low, Addr | _] ->
            try
                N = unescape(Name),
                {add, #{name => N, host => Host,
                        node => binary_to_atom(<<N/binary, "@", Host/binary>>,
                                               utf8),
                        port => binary_to_integer(Port),
                        type => binary_to_integer(Type),
                        high => binary_to_integer(High),
                        low => binary_to_integer(Low),
                        address => case Addr of
                                       <<"-">> -> none;
                                       _ -> to_address(Addr)
                                   end}}
            catch
                error:_ -> ignore
            end;
        [<<"-">>, Name, Host | _] ->
            try
                N = unescape(Name),
                {remove, binary_to_atom(<<N/binary, "@", Host/binary>>, utf8)}
            catch
                error:_ -> ignore
            end;
        [<<"=">>] ->
            synced;
        [<<"!">>, Reason | _] ->
            {closed, Reason};
        [<<"!">>] ->
            {closed, <<>>};
        _ ->
            ignore
    end.

%% @doc The port the node's own port mapper client uses: the `-epmd_port'
%% argument, else `ERL_EPMD_PORT', else 4369.
-spec epmd_port() -> inet:port_number().
epmd_port() ->
    case init:get_argument(epmd_port) of
        {ok, [[P | _] | _]} -> to_port(P);
        _ -> to_port(os:getenv("ERL_EPMD_PORT", ""))
    end.

%% Internal functions

%% One request: connect, send [Len:16][Body], read until the daemon closes.
-spec request(binary(), options()) -> {ok, binary()} | {error, term()}.
request(Body, Opts) ->
    Address = maps:get(address, Opts, {127, 0, 0, 1}),
    Port = maps:get(port, Opts, epmd_port()),
    Timeout = maps:get(timeout, Opts, ?TIMEOUT),
    Deadline = deadline(Timeout),
    case gen_tcp:connect(Address, Port, [binary, {active, false},
                                         {packet, raw}],
                         Timeout) of
        {ok, Sock} ->
            try gen_tcp:send(Sock, [<<(byte_size(Body)):16>>, Body]) of
                ok -> recv_all(Sock, Deadline, []);
                {error, _} = Error -> Error
            after
                gen_tcp:close(Sock)
            end;
        {error, _} = Error ->
            Error
    end.

%% Read until the peer closes or the deadline passes.
recv_all(Sock, Deadline, Acc) ->
    case gen_tcp:recv(Sock, 0, remaining(Deadline)) of
        {ok, Data} -> recv_all(Sock, Deadline, [Acc, Data]);
        {error, closed} -> {ok, iolist_to_binary(Acc)};
        {error, _} = Error -> Error
    end.

deadline(infinity) ->
    infinity;
deadline(Ms) ->
    erlang:monotonic_time(millisecond) + Ms.

remaining(infinity) ->
    infinity;
remaining(Deadline) ->
    max(0, Deadline - erlang:monotonic_time(millisecond)).

to_port(S) ->
    try list_to_integer(string:trim(S)) of
        P when P > 0, P < 65536 -> P;
        _ -> ?DEFAULT_PORT
    catch
        error:badarg -> ?DEFAULT_PORT
    end.

%% An address as the daemon writes it: a tuple for a literal, else a name.
to_address(Bin) ->
    S = binary_to_list(Bin),
    case inet:parse_address(S) of
        {ok, Ip} -> Ip;
        {error, _} -> S
    end.

%% "name\thost\tport\thigh\tlow\tage\torigin"
parse_line(Line) ->
    case binary:split(Line, <<"\t">>, [global]) of
        [Name, Host, Port, _High, _Low, _Age, Origin | _]
          when Name =/= <<>>, Host =/= <<>> ->
            try binary_to_integer(Port) of
                P ->
                    N = unescape(Name),
                    {ok, #{name => N, host => Host, port => P,
                           node => binary_to_atom(<<N/binary, "@",
                                                    Host/binary>>, utf8),
                           origin => Origin}}
            catch
                error:badarg -> skip
            end;
        _ ->
            skip
    end.

%% A name as CLUSTER and WATCH write it: \xHH for a control byte, DEL
%% or backslash.
unescape(Bin) ->
    unescape(Bin, <<>>).

unescape(<<"\\x", H1, H2, Rest/binary>>, Acc) ->
    unescape(Rest, <<Acc/binary, (binary_to_integer(<<H1, H2>>, 16))>>);
unescape(<<C, Rest/binary>>, Acc) ->
    unescape(Rest, <<Acc/binary, C>>);
unescape(<<>>, Acc) ->
    Acc.
