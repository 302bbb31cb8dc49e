UPDATE shipment_facts SET counted = array_remove(counted, 'transit');
