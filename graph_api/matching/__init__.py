"""Resource matching (三张清单) and help pairing (结对帮扶): the min-cost-flow engine on networkx and
the service that proposes and accepts matches through the store interface."""
