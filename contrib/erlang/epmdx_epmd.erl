%% @doc An `-epmd_module' for OTP 25 and later: nodes resolved through the
%% local epmdx daemon's cluster table.
%%
%%     erl -start_epmd false -epmd_module epmdx_epmd -sname app
%%
%% Registration, listen ports and `names' are stock: this module hands
%% them to OTP's `erl_epmd', which it starts beside itself.  Resolving
%% `Name@Host' asks the daemon on this host (RESOLVE, request 203, see
%% epmdxctl(1)) for the node's port, versions and the address of its host,
%% in one local round trip: no connection to the remote host's port
%% mapper, no DNS lookup of its host name.  A node the table does not know,
%% a daemon that is not epmdx or one that does not answer within
%% `-epmdx_timeout' milliseconds (default 300: this runs inside the
%% connection set-up of net_kernel) falls back to `erl_epmd', as if this
%% module were not there.
%%
%% With `-epmdx_autoconnect true' the node also subscribes to the table
%% (WATCH, request 206) once it is registered, and connects to every node
%% in it and to each new one as it appears; `-epmdx_autoconnect_names P...'
%% restricts that to nodes whose name matches one of the glob patterns P
%% (`*' and `?'; matched against the name before the `@', or against the
%% whole node name if P holds an `@').  It never disconnects a node: the
%% distribution's own tick does that; a node that could not be reached, or
%% whose connection went down, is tried again after 1 s, 2 s, ... up to
%% 30 s for as long as the table lists it.  The subscription is taken again,
%% after a pause, whenever it closes (daemon restarted, upgraded, or this
%% node fell behind).  See epmdx_epmd(7).
-module(epmdx_epmd).
-behaviour(gen_server).

%% The callbacks the distribution calls (erl_distribution, net_kernel,
%% inet_tcp_dist and friends, net_adm), with both arities where OTP's
%% documentation and code differ.
-export([start_link/0, register_node/2, register_node/3,
         listen_port_please/2, port_please/2, port_please/3,
         address_please/3, names/0, names/1]).
%% Introspection, for people and tests.
-export([autoconnect_state/0]).

-export([init/1, handle_call/3, handle_cast/2, handle_info/2,
         terminate/2]).

-define(DEFAULT_TIMEOUT, 300).
-define(WATCH_REQ, 206).
-define(MAX_LINE, 4096).
-define(RETRY_MIN, 200).
-define(RETRY_MAX, 5000).
%% Asking again a port mapper that is not epmdx (stock epmd closes WATCH).
-define(RETRY_NOT_EPMDX, 60000).
%% Pauses before connecting again to a node of the table that could not be
%% reached or went down while still listed.
-define(AGAIN_MIN, 1000).
-define(AGAIN_MAX, 30000).
%% The distribution versions this node speaks (OTP 25: 5 and 6).
-define(DIST_LOW, 5).
-define(DIST_HIGH, 6).
%% ALIVE2's node type of an Erlang node, as opposed to 72 (hidden, C).
-define(NORMAL_NODE, 77).

-record(state, {
          autoconnect = false :: boolean(),
          patterns = [] :: [{name | node, string()}],
          registered = false :: boolean(),
          sock = undefined :: undefined | gen_tcp:socket(),
          synced = false :: boolean(),
          %% The nodes of the table we want, each with the pause before
          %% the next attempt should a connection fail or drop.
          known = #{} :: #{node() => pos_integer()},
          pending = #{} :: #{node() => reference()},
          refs = #{} :: #{reference() => node()},
          retry = ?RETRY_MIN :: pos_integer(),
          %% A line came on this subscription; the port mapper was found
          %% not to be epmdx (said once).
          heard = false :: boolean(),
          not_epmdx = false :: boolean(),
          watches = 0 :: non_neg_integer()
         }).

%%% The distribution's callbacks.

%% Called by erl_distribution under net_sup: our process, which starts and
%% links OTP's erl_epmd (it holds the registration's connection).
-spec start_link() -> {ok, pid()} | ignore | {error, term()}.
start_link() ->
    gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).

register_node(Name, Port) ->
    register_node(Name, Port, inet).

register_node(Name, Port, Driver) ->
    Result = erl_epmd:register_node(Name, Port, Driver),
    case Result of
        {ok, _Creation} -> gen_server:cast(?MODULE, registered);
        _ -> ok
    end,
    Result.

listen_port_please(Name, Host) ->
    erl_epmd:listen_port_please(Name, Host).

port_please(Name, Host) ->
    port_please(Name, Host, infinity).

%% Host is a name (the part after the @) or, after a fallback in
%% address_please/3, an address tuple: only a name is looked up.
port_please(Name, Host, Timeout) ->
    case lookup(Name, Host) of
        {ok, #{port := Port} = E} -> {port, Port, version(E)};
        _ -> erl_epmd:port_please(Name, Host, Timeout)
    end.

%% Address, port and version in one answer: inet_tcp_dist (and the other
%% distribution modules that honour a 4-tuple) then skip port_please.
address_please(Name, Host, Family) ->
    case lookup(Name, Host) of
        {ok, #{address := Addr} = E} when Addr =/= none ->
            case address(Addr, Family) of
                {ok, Ip} -> {ok, Ip, maps:get(port, E), version(E)};
                error -> erl_epmd:address_please(Name, Host, Family)
            end;
        {ok, #{port := Port} = E} ->
            %% Known node, unknown host address: the name's own lookup,
            %% but still no round trip to the remote port mapper.
            case inet:getaddr(Host, Family) of
                {ok, Ip} -> {ok, Ip, Port, version(E)};
                Error -> Error
            end;
        _ ->
            erl_epmd:address_please(Name, Host, Family)
    end.

names() ->
    erl_epmd:names().

names(Host) ->
    erl_epmd:names(Host).

%% What the autoconnect worker holds: `#{enabled, subscribed, synced,
%% known, patterns, watches}'.
autoconnect_state() ->
    gen_server:call(?MODULE, state).

%%% The process: erl_epmd's owner and the autoconnect subscriber.

init([]) ->
    case erl_epmd:start_link() of
        {ok, _} -> ok;
        {error, {already_started, _}} -> ok;
        ignore -> ok
    end,
    {ok, #state{autoconnect = flag(epmdx_autoconnect),
                patterns = patterns()}}.

handle_call(state, _From, S) ->
    {reply, #{enabled => S#state.autoconnect,
              subscribed => S#state.sock =/= undefined,
              synced => S#state.synced,
              known => lists:sort(maps:keys(S#state.known)),
              patterns => [P || {_, P} <- S#state.patterns],
              watches => S#state.watches}, S};
handle_call(_, _From, S) ->
    {reply, {error, unknown_call}, S}.

handle_cast(registered, #state{autoconnect = true, sock = undefined} = S) ->
    %% nodedown tells when to connect again to a node still listed.
    catch net_kernel:monitor_nodes(true),
    {noreply, subscribe(S#state{registered = true})};
handle_cast(registered, S) ->
    {noreply, S#state{registered = true}};
handle_cast(_, S) ->
    {noreply, S}.

handle_info({tcp, Sock, Line}, #state{sock = Sock} = S) ->
    inet:setopts(Sock, [{active, once}]),
    {noreply, watch_line(strip(Line), S#state{heard = true,
                                               not_epmdx = false})};
handle_info({tcp_closed, Sock}, #state{sock = Sock} = S) ->
    {noreply, lost(closed, S)};
handle_info({tcp_error, Sock, Why}, #state{sock = Sock} = S) ->
    {noreply, lost(Why, S)};
handle_info(resubscribe, #state{sock = undefined, registered = true} = S) ->
    {noreply, subscribe(S)};
handle_info({'DOWN', Ref, process, _, Result}, S) ->
    {noreply, attempted(Ref, Result, S)};
handle_info({nodedown, Node}, S) ->
    {noreply, again(Node, S)};
handle_info({again, Node}, S) ->
    case maps:is_key(Node, S#state.known) andalso
        not lists:member(Node, nodes()) of
        true -> {noreply, connect(Node, S)};
        false -> {noreply, S}
    end;
handle_info(_, S) ->
    {noreply, S}.

terminate(_, #state{sock = Sock}) when Sock =/= undefined ->
    gen_tcp:close(Sock);
terminate(_, _) ->
    ok.

%%% Resolving.

%% The local daemon's answer for Name@Host, or an error (not known, not
%% epmdx, no daemon, too slow): every error means "ask erl_epmd".
lookup(Name, Host) when is_atom(Host) ->
    lookup(Name, atom_to_list(Host));
lookup(Name, Host) when is_list(Host) ->
    Node = unicode:characters_to_binary([to_list(Name), "@", Host]),
    try
        epmdx:lookup(Node, #{timeout => timeout()})
    catch
        _:Why -> {error, Why}
    end;
lookup(_Name, _Address) ->
    {error, address}.

version(#{low := Low, high := High}) when Low =< ?DIST_HIGH,
                                          High >= ?DIST_LOW ->
    min(High, ?DIST_HIGH);
version(_) ->
    0.

%% The daemon's address for the family the distribution runs on; a name
%% is looked up here (the daemon gives names only for origins that
%% advertise one).
address(Ip, inet) when tuple_size(Ip) =:= 4 ->
    {ok, Ip};
address(Ip, inet6) when tuple_size(Ip) =:= 8 ->
    {ok, Ip};
address(Ip, inet6) when tuple_size(Ip) =:= 4 ->
    {A, B, C, D} = Ip,
    {ok, {0, 0, 0, 0, 0, 16#ffff, A bsl 8 bor B, C bsl 8 bor D}};
address(Name, Family) when is_list(Name) ->
    case inet:getaddr(Name, Family) of
        {ok, Ip} -> {ok, Ip};
        _ -> error
    end;
address(_, _) ->
    error.

to_list(A) when is_atom(A) -> atom_to_list(A);
to_list(L) -> L.

timeout() ->
    case init:get_argument(epmdx_timeout) of
        {ok, [[T | _] | _]} ->
            try list_to_integer(T) of
                Ms when Ms > 0 -> Ms;
                _ -> ?DEFAULT_TIMEOUT
            catch
                error:badarg -> ?DEFAULT_TIMEOUT
            end;
        _ ->
            ?DEFAULT_TIMEOUT
    end.

%%% Autoconnect.

flag(Arg) ->
    case init:get_argument(Arg) of
        {ok, Values} -> lists:last(lists:append(Values)) =:= "true";
        error -> false
    end.

patterns() ->
    case init:get_argument(epmdx_autoconnect_names) of
        {ok, Values} ->
            [case lists:member($@, P) of
                 true -> {node, P};
                 false -> {name, P}
             end || P <- lists:append(Values), P =/= ""];
        error ->
            []
    end.

subscribe(S) ->
    Opts = [binary, {active, once}, {packet, line},
            {packet_size, ?MAX_LINE}],
    case gen_tcp:connect({127, 0, 0, 1}, epmdx:epmd_port(), Opts,
                         timeout()) of
        {ok, Sock} ->
            case gen_tcp:send(Sock, <<1:16, ?WATCH_REQ>>) of
                ok ->
                    S#state{sock = Sock, synced = false, known = #{},
                            heard = false,
                            watches = S#state.watches + 1};
                {error, Why} ->
                    gen_tcp:close(Sock),
                    retry(Why, S)
            end;
        {error, Why} ->
            retry(Why, S)
    end.

%% A subscription closed with not a line said may be a stock epmd's
%% answer to a request it does not know: ask (a RESOLVE, which epmdx
%% always answers), say so once, and ask again only now and then.
lost(Why, S) ->
    gen_tcp:close(S#state.sock),
    S1 = S#state{sock = undefined, synced = false},
    case S#state.heard orelse
        epmdx:lookup(<<"epmdx-probe@-">>, #{timeout => timeout()}) =/=
            {error, not_epmdx} of
        true ->
            retry(Why, S1);
        false ->
            S1#state.not_epmdx orelse
                logger:warning("epmdx_epmd: the port mapper at port ~b is "
                               "not epmdx: no autoconnect (asking again "
                               "every ~b s)",
                               [epmdx:epmd_port(), ?RETRY_NOT_EPMDX div 1000]),
            erlang:send_after(?RETRY_NOT_EPMDX, self(), resubscribe),
            S1#state{not_epmdx = true}
    end.

retry(Why, #state{retry = Ms} = S) ->
    logger:info("epmdx_epmd: cluster subscription: ~p; again in ~b ms",
                [Why, Ms]),
    erlang:send_after(Ms, self(), resubscribe),
    S#state{retry = min(Ms * 2, ?RETRY_MAX)}.

watch_line(Line, S) ->
    case epmdx:watch_line(Line) of
        {add, #{node := Node, name := Name, type := ?NORMAL_NODE}} ->
            case valid_name(Name) of
                true -> added(Node, S);
                false -> S
            end;
        {add, _} ->
            %% A hidden or C node (type 72): not a member of the cluster.
            S;
        {remove, Node} -> S#state{known = maps:remove(Node, S#state.known)};
        synced -> S#state{synced = true, retry = ?RETRY_MIN};
        {closed, Reason} ->
            %% The daemon closes next (overflow, max_watchers): say why.
            logger:warning("epmdx_epmd: the daemon ends the cluster "
                           "subscription: ~ts", [Reason]),
            S;
        ignore ->
            S
    end.

added(Node, S) ->
    case Node =/= node() andalso wanted(Node, S#state.patterns) of
        true ->
            connect(Node, S#state{known = maps:put(Node, ?AGAIN_MIN,
                                                   S#state.known)});
        false ->
            S
    end.

%% One process per connection attempt: a set-up to a node that does not
%% answer takes net_kernel's set-up time, and must not hold the others.
connect(Node, S) ->
    case maps:is_key(Node, S#state.pending) of
        true ->
            S;
        false ->
            {_, Ref} = spawn_monitor(fun() ->
                                             exit({connected,
                                                   net_kernel:connect_node(Node)})
                                     end),
            S#state{pending = maps:put(Node, Ref, S#state.pending),
                    refs = maps:put(Ref, Node, S#state.refs)}
    end.

%% An attempt ended: on failure, try again later while the table lists
%% the node (it may not be listening yet, or be behind a partition).
attempted(Ref, Result, S) ->
    case maps:take(Ref, S#state.refs) of
        {Node, Refs} ->
            S1 = S#state{refs = Refs,
                         pending = maps:remove(Node, S#state.pending)},
            case Result of
                {connected, true} ->
                    S1#state{known = reset(Node, S1#state.known)};
                _ ->
                    again(Node, S1)
            end;
        error ->
            S
    end.

reset(Node, Known) ->
    case maps:is_key(Node, Known) of
        true -> maps:put(Node, ?AGAIN_MIN, Known);
        false -> Known
    end.

%% Connect to Node again after its pause, which doubles each time, if the
%% table still lists it then.  A node gone from the table is not retried:
%% the daemon said it stopped.
again(Node, S) ->
    case maps:find(Node, S#state.known) of
        {ok, Ms} ->
            erlang:send_after(Ms, self(), {again, Node}),
            S#state{known = maps:put(Node, min(Ms * 2, ?AGAIN_MAX),
                                     S#state.known)};
        error ->
            S
    end.

wanted(Node, Patterns) ->
    Full = atom_to_list(Node),
    [Name, Host] = string:split(Full, "@"),
    same_mode(Host) andalso
        (Patterns =:= [] orelse
         lists:any(fun({name, P}) -> glob(P, Name);
                      ({node, P}) -> glob(P, Full)
                   end, Patterns)).

%% A short-name node cannot connect to a long-name one, nor the reverse:
%% net_kernel would refuse and log it.
same_mode(Host) ->
    Long = lists:member($., Host) orelse lists:member($:, Host),
    case net_kernel:longnames() of
        true -> Long;
        false -> not Long;
        _ -> false
    end.

%% A name the distribution can take: letters, digits, - and _ (a name
%% with anything else would be tried, and fail, again and again).
valid_name(Name) ->
    Name =/= <<>> andalso
        lists:all(fun(C) -> (C >= $a andalso C =< $z) orelse
                                (C >= $A andalso C =< $Z) orelse
                                (C >= $0 andalso C =< $9) orelse
                                C =:= $- orelse C =:= $_
                  end, binary_to_list(Name)).

glob([], []) -> true;
glob([$* | P], S) -> glob(P, S) orelse (S =/= [] andalso glob([$* | P], tl(S)));
glob([$? | P], [_ | S]) -> glob(P, S);
glob([C | P], [C | S]) -> glob(P, S);
glob(_, _) -> false.

strip(Line) ->
    case Line of
        <<L:(byte_size(Line) - 1)/binary, $\n>> -> L;
        _ -> Line
    end.
